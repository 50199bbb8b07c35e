"""根治欠薪 tables: employers (by 统一社会信用代码), construction projects with their workers' wage account
(农民工工资专户) and its payments, wage-arrears cases (one per event) and no-payment warnings (预警).

Money is kept in fen (分, integers) so sums are exact on every database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base
from cityops.org.models import PathString


class Employer(Base):
    __tablename__ = "wage_employer"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    legal_person: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # where it is registered
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class Project(Base):
    """A construction project (在建工程) with its wage account; the account's payments say whether wages flow."""

    __tablename__ = "wage_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    employer_id: Mapped[int] = mapped_column(ForeignKey("wage_employer.id"), index=True)  # 施工总承包单位
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # where the site is
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | finished
    account_bank: Mapped[str] = mapped_column(String(80), default="")
    account_no: Mapped[str] = mapped_column(String(40), default="")
    account_status: Mapped[str] = mapped_column(String(12), default="none")  # none | normal | frozen | closed
    account_opened_on: Mapped[date | None]
    pay_period_days: Mapped[int] = mapped_column(Integer, default=31)  # no payment for this long → 预警
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class Payment(Base):
    """A payment out of the project's wage account (代发工资)."""

    __tablename__ = "wage_payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_project.id", ondelete="CASCADE"), index=True)
    paid_on: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    workers: Mapped[int] = mapped_column(Integer)
    wage_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM the wages are for
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class WageCase(Base):
    """A wage-arrears complaint or warning: one per event of the wage categories."""

    __tablename__ = "wage_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # complaint | warning
    channel: Mapped[str] = mapped_column(String(16))  # citizen | hotline | grid_worker | system
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("wage_employer.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("wage_project.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)  # the event's location, for scoping
    workers: Mapped[int] = mapped_column(Integer, default=0)
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[date | None]
    workers_paid: Mapped[int | None] = mapped_column(Integer)
    recovery_note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WageWarning(Base):
    """A no-payment warning raised for one project and one period without payment (once per period)."""

    __tablename__ = "wage_warning"
    __table_args__ = (UniqueConstraint("project_id", "since", "periods", name="uq_wage_warning_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_project.id", ondelete="CASCADE"), index=True)
    since: Mapped[date]  # the last payment (or the account's opening) the silence is counted from
    periods: Mapped[int] = mapped_column(Integer)  # how many whole periods without payment
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    created_at: Mapped[datetime]
