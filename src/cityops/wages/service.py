"""Employers and projects: access (scoped), registration with the credit code checked, the wage account
and its payments. Cases live in `cases.py`, the no-payment warning in `jobs.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.db import AnySelect
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.events.calendar import CST
from cityops.org import service as org
from cityops.wages import credit
from cityops.wages.defaults import DEFAULT_PAY_PERIOD_DAYS
from cityops.wages.models import Employer, Payment, Project

EDITORS = (Role.handler, Role.dispatcher, Role.leader, Role.app_admin, Role.sysadmin)
ACCOUNT_STATUSES = ("none", "normal", "frozen", "closed")
ACCOUNT_STATUS_NAME = {"none": "未开设", "normal": "正常", "frozen": "冻结", "closed": "已销户"}
MAX_FEN = 10**13  # 一千亿元: anything larger is a typing error


class EmployerNotFound(NotFound):
    message = "用人单位不存在 / Employer not found."
    default_code = "wages.employer_not_found"


class ProjectNotFound(NotFound):
    message = "工程项目不存在 / Project not found."
    default_code = "wages.project_not_found"


def require_editor(actor: Actor) -> None:
    if not actor.has(*EDITORS):
        raise Forbidden(
            "只有工作人员可登记用人单位和项目 / only staff register employers and projects",
            code="wages.not_editor",
        )


def to_fen(yuan: float | int | str, field: str) -> int:
    """Yuan with at most two decimals → fen; refuses negatives and absurd sums, naming the field."""
    try:
        fen = round(float(yuan) * 100)
    except (TypeError, ValueError):
        raise Invalid(
            f"{field} 须为金额数字 / {field} must be an amount", field=field, code="wages.invalid_amount"
        ) from None
    if fen < 0 or fen > MAX_FEN or abs(float(yuan) * 100 - fen) > 1e-6:
        raise Invalid(
            "金额须为不小于0、最多两位小数的数 / the amount must be ≥ 0 with at most two decimals",
            field=field,
            code="wages.invalid_amount",
        )
    return fen


def yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / 100


# -- access ---------------------------------------------------------------------------------------------
def employer_visible(actor: Actor) -> Any:
    """An employer is seen where it is registered and wherever one of its projects lies."""
    in_projects = select(Project.employer_id).where(org.in_subtree(Project.unit_path, actor.unit_path))
    return or_(org.in_subtree(Employer.unit_path, actor.unit_path), Employer.id.in_(in_projects))


def access_employer(session: Session, actor: Actor, employer_id: int) -> Employer:
    return one_or_raise(
        session,
        select(Employer).where(Employer.id == employer_id, employer_visible(actor)),
        EmployerNotFound(employer_id=employer_id),
    )


def access_project(session: Session, actor: Actor, project_id: int) -> Project:
    return one_or_raise(
        session,
        select(Project).where(Project.id == project_id, org.in_subtree(Project.unit_path, actor.unit_path)),
        ProjectNotFound(project_id=project_id),
    )


def list_employers(actor: Actor, q: str = "") -> AnySelect:
    stmt = select(Employer).where(employer_visible(actor))
    if q.strip():
        like = q.strip()
        stmt = stmt.where(or_(Employer.name.contains(like, autoescape=True), Employer.credit_code == like.upper()))
    return stmt.order_by(Employer.name, Employer.id)


def list_projects(actor: Actor, employer_id: int | None = None) -> AnySelect:
    stmt = select(Project).where(org.in_subtree(Project.unit_path, actor.unit_path))
    if employer_id is not None:
        stmt = stmt.where(Project.employer_id == employer_id)
    return stmt.order_by(Project.name, Project.id)


def employer_by_code(session: Session, actor: Actor, code: str) -> Employer:
    return one_or_raise(
        session,
        select(Employer).where(Employer.credit_code == credit.validate(code), employer_visible(actor)),
        EmployerNotFound(
            "未登记该统一社会信用代码的单位 / no employer with that credit code",
            field="credit_code",
            code="wages.employer_not_found",
        ),
    )


# -- registration ---------------------------------------------------------------------------------------
@dataclass
class EmployerInput:
    credit_code: str
    name: str
    unit_id: int
    legal_person: str = ""
    phone: str = ""
    is_demo: bool = False


def register_employer(session: Session, actor: Actor, item: EmployerInput) -> Employer:
    require_editor(actor)
    code = credit.validate(item.credit_code)
    if not item.name.strip():
        raise Invalid("请填写单位名称 / name is required", field="name", code="wages.invalid_name")
    unit = org.access_unit(session, actor, item.unit_id)
    if session.scalar(select(func.count()).where(Employer.credit_code == code)):
        raise Conflict(
            "该统一社会信用代码已登记 / an employer with this credit code exists",
            field="credit_code",
            code="wages.duplicate_credit_code",
        )
    employer = Employer(
        credit_code=code,
        name=item.name.strip()[:160],
        legal_person=item.legal_person.strip()[:40],
        phone=item.phone.strip()[:20],
        unit_id=unit.id,
        unit_path=unit.path,
        is_demo=item.is_demo,
        created_at=clock.now(),
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "wages.employer_registered", employer, credit_code=code)


@dataclass
class ProjectInput:
    name: str
    employer_id: int
    unit_id: int
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    account_bank: str = ""
    account_no: str = ""
    account_status: str = "none"
    account_opened_on: date | None = None
    pay_period_days: int = DEFAULT_PAY_PERIOD_DAYS
    is_demo: bool = False


def register_project(session: Session, actor: Actor, item: ProjectInput) -> Project:
    require_editor(actor)
    if not item.name.strip():
        raise Invalid("请填写项目名称 / name is required", field="name", code="wages.invalid_name")
    employer = access_employer(session, actor, item.employer_id)
    unit = org.access_unit(session, actor, item.unit_id)
    _check_account(item.account_status, item.pay_period_days)
    project = Project(
        name=item.name.strip()[:200],
        employer_id=employer.id,
        unit_id=unit.id,
        unit_path=unit.path,
        address=item.address.strip()[:300],
        lon=item.lon,
        lat=item.lat,
        account_bank=item.account_bank.strip()[:80],
        account_no=item.account_no.strip()[:40],
        account_status=item.account_status,
        account_opened_on=item.account_opened_on,
        pay_period_days=item.pay_period_days,
        is_demo=item.is_demo,
        created_at=clock.now(),
        created_by=actor.username,
    )
    return audit.add_new(session, actor, "wages.project_registered", project, employer_id=employer.id)


def _check_account(status: str, period: int) -> None:
    if status not in ACCOUNT_STATUSES:
        raise Invalid(
            f"专户状态须为 {'、'.join(ACCOUNT_STATUSES)} / unknown account status",
            field="account_status",
            code="wages.invalid_account_status",
        )
    if not 7 <= period <= 366:
        raise Invalid(
            "发放周期须在7至366天之间 / pay_period_days must be 7..366",
            field="pay_period_days",
            code="wages.invalid_period",
        )


def record_payment(
    session: Session,
    actor: Actor,
    project: Project,
    *,
    paid_on: date,
    amount_yuan: float,
    workers: int,
    wage_month: str,
    note: str = "",
) -> Payment:
    """A payment out of the project's wage account (工资专户代发) — what keeps the warning quiet."""
    require_editor(actor)
    if project.account_status in ("none", "closed"):
        raise Conflict("项目未开设工资专户 / the project has no open wage account", code="wages.no_account")
    if paid_on > clock.now().astimezone(CST).date():
        raise Invalid("支付日期不能晚于今天 / paid_on is in the future", field="paid_on", code="wages.invalid_date")
    if workers < 1:
        raise Invalid("发放人数至少1人 / workers must be ≥ 1", field="workers", code="wages.invalid_workers")
    if len(wage_month) != 7 or wage_month[4] != "-" or not (wage_month[:4] + wage_month[5:]).isdigit():
        raise Invalid(
            "工资所属月份格式为 YYYY-MM / wage_month is YYYY-MM", field="wage_month", code="wages.invalid_month"
        )
    payment = Payment(
        project_id=project.id,
        paid_on=paid_on,
        amount_fen=to_fen(amount_yuan, "amount_yuan"),
        workers=workers,
        wage_month=wage_month,
        note=note.strip()[:300],
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(payment)
    session.flush()
    audit.record(
        session, actor, "wages.payment_recorded", project, payment_id=payment.id, amount_fen=payment.amount_fen
    )
    return payment


def payments_of(session: Session, project_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment).where(Payment.project_id == project_id).order_by(Payment.paid_on.desc(), Payment.id.desc())
        )
    )


def last_paid(session: Session, project_id: int) -> date | None:
    found = session.scalar(select(func.max(Payment.paid_on)).where(Payment.project_id == project_id))
    return found if isinstance(found, date) else None
