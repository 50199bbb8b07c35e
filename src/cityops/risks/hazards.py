"""Hazards (隐患): registration (from an inspection, a grid worker or an alarm), the rectification workflow
as a transition table, the rectification plan and 挂牌督办 of a major hazard, its re-inspection, 销号, and
the event it becomes when other departments are needed (linked both ways)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role
from cityops.core.errors import Conflict, Forbidden, Invalid, NotFound, one_or_raise
from cityops.risks import service as points
from cityops.risks.models import Hazard, HazardLog, Inspection, RiskPoint
from cityops.workflow.engine import Flow

HAZARD_FLOW = Flow(
    "risk_hazard",
    {
        ("registered", "start"): "rectifying",  # 开始整改
        ("registered", "fix_on_spot"): "closed",  # 一般隐患当场整改
        ("rectifying", "request_acceptance"): "acceptance",  # 申请验收
        ("acceptance", "accept"): "closed",  # 验收通过，销号
        ("acceptance", "return"): "returned",  # 退回
        ("returned", "start"): "rectifying",
        ("registered", "supervise"): Flow.STAY,  # 挂牌督办
        ("rectifying", "supervise"): Flow.STAY,
        ("acceptance", "supervise"): Flow.STAY,
        ("returned", "supervise"): Flow.STAY,
    },
)
STATUS_NAME = {
    "registered": ("登记", "Registered"),
    "rectifying": ("整改中", "Rectifying"),
    "acceptance": ("申请验收", "Acceptance requested"),
    "returned": ("退回", "Returned"),
    "closed": ("销号", "Closed"),
}
ACTION_NAME = {
    "start": ("开始整改", "Start rectification"),
    "fix_on_spot": ("当场整改完毕", "Fixed on the spot"),
    "request_acceptance": ("申请验收", "Request acceptance"),
    "accept": ("验收通过（销号）", "Accept (close)"),
    "return": ("退回", "Return"),
    "supervise": ("挂牌督办", "Put under supervision"),
}
GRADE_NAME = {"general": ("一般隐患", "General hazard"), "major": ("重大隐患", "Major hazard")}
OPEN = ("registered", "rectifying", "acceptance", "returned")
REPORTERS = (Role.grid_worker, Role.handler, Role.dispatcher, Role.leader)
# Who may take each action: the rectifying side, or the centres that accept, return and supervise.
MAY = {
    "start": (Role.handler, Role.dispatcher, Role.leader),
    "fix_on_spot": (Role.grid_worker, Role.handler, Role.dispatcher, Role.leader),
    "request_acceptance": (Role.handler, Role.dispatcher, Role.leader),
    "accept": (Role.dispatcher, Role.leader),
    "return": (Role.dispatcher, Role.leader),
    "supervise": (Role.dispatcher, Role.leader),
}
PLAN_FIELDS = {
    "measures": "整改措施",
    "funds": "整改资金",
    "unit": "责任单位",
    "person": "责任人",
    "deadline": "整改时限",
    "interim_measures": "整改期间安全防范措施",
}


class HazardNotFound(NotFound):
    message = "隐患不存在 / Hazard not found."
    default_code = "risk.hazard_not_found"


def visible(actor: Actor) -> Any:
    from cityops.risks.service import visible_through_point

    return visible_through_point(Hazard.unit_path, Hazard.point_id, actor)


def access_hazard(session: Session, actor: Actor, hazard_id: int) -> Hazard:
    return one_or_raise(
        session, select(Hazard).where(Hazard.id == hazard_id, visible(actor)), HazardNotFound(hazard_id=hazard_id)
    )


@dataclass
class HazardInput:
    title: str
    grade: str
    description: str = ""
    source: str = "staff"
    deadline: datetime | None = None
    inspection_id: int | None = None
    alarm_id: int | None = None
    is_demo: bool = False


def register(session: Session, actor: Actor, point: RiskPoint, item: HazardInput) -> Hazard:
    if not actor.has(*REPORTERS):
        raise Forbidden("无权登记隐患 / You may not register hazards.", code="risk.not_reporter")
    if item.grade not in GRADE_NAME:
        raise Invalid(
            "隐患等级须为一般或重大 / grade must be general or major", field="grade", code="risk.invalid_grade"
        )
    if not item.title.strip():
        raise Invalid("请填写隐患描述标题 / title is required", field="title", code="risk.invalid_title")
    source = "grid_worker" if actor.has(Role.grid_worker) and item.source == "staff" else item.source
    now = clock.now()
    if item.deadline is not None and item.deadline <= now:
        raise Invalid(
            "整改期限须晚于现在 / the deadline must lie in the future", field="deadline", code="risk.invalid_deadline"
        )
    if item.inspection_id is not None:
        insp = session.get(Inspection, item.inspection_id)
        if insp is None or insp.point_id != point.id:
            raise Invalid(
                "巡查记录不属于该风险点 / the inspection is not of this point",
                field="inspection_id",
                code="risk.invalid_inspection_id",
            )
        source = "inspection"
    hazard = Hazard(
        ref=f"YH{now:%Y%m%d}{points.new_ref(now)[-6:]}",
        point_id=point.id,
        unit_id=point.unit_id,
        unit_path=point.unit_path,
        title=item.title.strip()[:200],
        description=item.description.strip(),
        grade=item.grade,
        source=source,
        inspection_id=item.inspection_id,
        alarm_id=item.alarm_id,
        status="registered",
        deadline=item.deadline,
        found_at=now,
        found_by=actor.username,
        is_demo=item.is_demo or point.is_demo,
    )
    session.add(hazard)
    session.flush()
    log_change(
        session, hazard, actor, "register", None, "registered", f"{GRADE_NAME[hazard.grade][0]}登记 / registered"
    )
    audit.record(session, actor, "risk.hazard_registered", hazard, grade=hazard.grade, point_id=point.id)
    outbox.add(session, "risk.hazard_registered", hazard_id=hazard.id, grade=hazard.grade, unit_path=hazard.unit_path)
    return hazard


def log_change(
    session: Session, hazard: Hazard, actor: Actor, action: str, before: str | None, after: str | None, note: str
) -> None:
    session.add(
        HazardLog(
            hazard_id=hazard.id,
            at=clock.now(),
            action=action,
            from_status=before,
            to_status=after,
            actor_name=actor.username,
            note=note[:1000],
        )
    )


def log_of(session: Session, hazard_id: int) -> list[HazardLog]:
    stmt = select(HazardLog).where(HazardLog.hazard_id == hazard_id)
    return list(session.scalars(stmt.order_by(HazardLog.at, HazardLog.id)))


def reinspections(session: Session, hazard_id: int) -> list[Inspection]:
    stmt = select(Inspection).where(Inspection.hazard_id == hazard_id, Inspection.kind == "reinspection")
    return list(session.scalars(stmt.order_by(Inspection.id)))


def missing_for_close(session: Session, hazard: Hazard) -> list[str]:
    """What a major hazard still lacks before 销号: its plan, 挂牌督办, and a passed re-inspection done
    after acceptance was last requested (a re-inspection from before a 退回 does not count)."""
    if hazard.grade != "major":
        return []
    missing = []
    if not hazard.plan:
        missing.append("rectification_plan")
    if hazard.supervised_at is None:
        missing.append("supervision")
    asked = session.scalar(
        select(HazardLog.at)
        .where(HazardLog.hazard_id == hazard.id, HazardLog.action == "request_acceptance")
        .order_by(HazardLog.at.desc(), HazardLog.id.desc())
        .limit(1)
    )
    passed = [
        r
        for r in reinspections(session, hazard.id)
        if r.status == "done"
        and r.result == "pass"
        and (asked is None or (r.done_at and clock.as_utc(r.done_at) >= clock.as_utc(asked)))
    ]
    if not passed:
        missing.append("reinspection_passed")
    return missing


MISSING_NAME = {
    "rectification_plan": "整改方案",
    "supervision": "挂牌督办",
    "reinspection_passed": "复查合格记录",
}


def allowed_actions(hazard: Hazard, actor: Actor) -> list[str]:
    out = []
    for action in HAZARD_FLOW.allowed(hazard.status):
        if not actor.has(*MAY[action]):
            continue
        if action == "fix_on_spot" and hazard.grade != "general":
            continue
        if action == "supervise" and (hazard.grade != "major" or hazard.supervised_at is not None):
            continue
        out.append(action)
    return out


def act(
    session: Session, actor: Actor, hazard: Hazard, action: str, *, note: str = "", version: int | None = None
) -> Hazard:
    if action not in MAY:
        raise NotFound(
            f"未知操作 / unknown action {action!r}", code="risk.unknown_action", allowed=HAZARD_FLOW.actions()
        )
    if version is not None and version != hazard.version:
        raise Conflict(
            "隐患已被他人更新，请刷新 / the hazard changed; reload",
            code="risk.stale_version",
            current_version=hazard.version,
        )
    target = HAZARD_FLOW.next_state(hazard.status, action)
    if not actor.has(*MAY[action]):
        raise Forbidden(
            f"无权「{ACTION_NAME[action][0]}」/ you may not {action}",
            code="risk.action_forbidden",
            needs=[r.value for r in MAY[action]],
        )
    _guard(session, hazard, action, note)
    before, now = hazard.status, clock.now()
    if action == "supervise":
        from cityops.risks.inspections import supervisor_of

        upper = supervisor_of(session, hazard.unit_id)
        hazard.supervised_at, hazard.supervised_by_unit_id = now, upper.id if upper else None
    hazard.status = target
    if target == "closed":
        hazard.closed_at = now
    hazard.version += 1
    log_change(session, hazard, actor, action, before, target, note.strip() or ACTION_NAME[action][0])
    audit.record(session, actor, f"risk.hazard_{action}", hazard, before=before, after=target, note=note[:200])
    outbox.add(
        session, "risk.hazard_changed", hazard_id=hazard.id, action=action, status=target, unit_path=hazard.unit_path
    )
    if hazard.event_id is not None:
        from cityops.events import service as events

        events.note(
            session,
            actor,
            hazard.event_id,
            "hazard",
            f"隐患 {hazard.ref}：{ACTION_NAME[action][0]} / hazard {action}",
            data={"hazard_id": hazard.id},
        )
    return hazard


def _guard(session: Session, hazard: Hazard, action: str, note: str) -> None:
    if action == "fix_on_spot" and hazard.grade != "general":
        raise Conflict("重大隐患不能当场销号 / a major hazard is not closed on the spot", code="risk.major_needs_plan")
    if action == "start" and hazard.grade == "major" and not hazard.plan:
        raise Conflict(
            "重大隐患须先制定整改方案 / a major hazard needs its rectification plan first",
            code="risk.plan_required",
            missing=["rectification_plan"],
        )
    if action == "start" and hazard.grade == "general" and hazard.deadline is None and hazard.status == "registered":
        raise Invalid(
            "一般隐患限期整改须设整改期限 / set a deadline (or fix it on the spot)",
            field="deadline",
            code="risk.deadline_required",
        )
    if action == "supervise" and (hazard.grade != "major" or hazard.supervised_at is not None):
        raise Conflict(
            "仅重大隐患挂牌督办一次 / only a major hazard is put under supervision, once", code="risk.supervise_once"
        )
    if action == "return" and not note.strip():
        raise Invalid("退回须说明理由 / a return needs its reason", field="note", code="risk.invalid_note")
    if action == "accept":
        missing = missing_for_close(session, hazard)
        if missing:
            names = "、".join(MISSING_NAME[m] for m in missing)
            raise Conflict(
                f"重大隐患销号前尚缺：{names} / a major hazard cannot be closed yet",
                code="risk.close_requirements",
                missing=missing,
            )


def set_deadline(session: Session, actor: Actor, hazard: Hazard, deadline: datetime) -> Hazard:
    if not actor.has(*MAY["start"]):
        raise Forbidden("无权设定期限 / you may not set the deadline", code="risk.action_forbidden")
    if deadline <= clock.now():
        raise Invalid(
            "整改期限须晚于现在 / the deadline must lie in the future", field="deadline", code="risk.invalid_deadline"
        )
    hazard.deadline = deadline
    hazard.version += 1
    log_change(session, hazard, actor, "deadline", hazard.status, hazard.status, f"整改期限 {deadline.isoformat()}")
    return hazard


def set_plan(session: Session, actor: Actor, hazard: Hazard, plan: dict[str, Any]) -> Hazard:
    """The rectification plan of a major hazard: every field is required; its deadline becomes the hazard's."""
    if not actor.has(*MAY["start"]):
        raise Forbidden("无权制定整改方案 / you may not write the plan", code="risk.action_forbidden")
    if hazard.grade != "major":
        raise Conflict(
            "一般隐患无需整改方案 / only a major hazard has a rectification plan", code="risk.plan_for_major_only"
        )
    if hazard.status == "closed":
        raise Conflict("隐患已销号 / the hazard is closed", code="risk.hazard_closed")
    for key, name in PLAN_FIELDS.items():
        if not str(plan.get(key) or "").strip():
            raise Invalid(
                f"整改方案缺少「{name}」/ the plan lacks {key}", field=f"plan.{key}", code="risk.plan_incomplete"
            )
    deadline = plan["deadline"]
    if not isinstance(deadline, datetime):
        raise Invalid(
            "整改时限须为时间 / deadline must be a time", field="plan.deadline", code="risk.invalid_plan_deadline"
        )
    if deadline <= clock.now():
        raise Invalid(
            "整改时限须晚于现在 / the deadline must lie in the future",
            field="plan.deadline",
            code="risk.invalid_plan_deadline",
        )
    hazard.plan = {
        k: (v.isoformat() if isinstance(v, datetime) else str(v).strip()) for k, v in plan.items() if k in PLAN_FIELDS
    }
    hazard.deadline = deadline
    hazard.version += 1
    log_change(session, hazard, actor, "plan", hazard.status, hazard.status, "制定整改方案 / rectification plan set")
    audit.record(session, actor, "risk.hazard_plan", hazard, deadline=deadline.isoformat())
    return hazard


def reinspect(session: Session, actor: Actor, hazard: Hazard, *, passed: bool, note: str) -> Inspection:
    """复查: recorded by someone other than the rectifying side's request, while acceptance is asked."""
    from cityops.risks.inspections import INSPECTORS

    if not actor.has(*INSPECTORS):
        raise Forbidden("无权复查 / you may not re-inspect", code="risk.not_inspector")
    if hazard.status != "acceptance":
        raise Conflict(
            "申请验收后才能复查 / re-inspect once acceptance is requested",
            code="risk.reinspection_too_early",
            status=hazard.status,
        )
    if not note.strip():
        raise Invalid("请填写复查情况 / describe what the re-inspection found", field="note", code="risk.invalid_note")
    now = clock.now()
    row = Inspection(
        point_id=hazard.point_id,
        kind="reinspection",
        hazard_id=hazard.id,
        unit_id=hazard.unit_id,
        unit_path=hazard.unit_path,
        status="done",
        due_at=now,
        done_at=now,
        done_by=actor.username,
        checklist=[],
        result="pass" if passed else "fail",
        note=note.strip()[:1000],
        created_at=now,
    )
    session.add(row)
    session.flush()
    verdict = "合格" if passed else "不合格"
    log_change(
        session, hazard, actor, "reinspect", hazard.status, hazard.status, f"复查{verdict}：{note.strip()[:200]}"
    )
    audit.record(session, actor, "risk.hazard_reinspected", hazard, result=row.result)
    return row
