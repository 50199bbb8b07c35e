"""What happens at a point moves its level: a critical or major alarm on a linked device, an event of the
point's kind reported close to it. Each reassessment keeps its reasons; a critical alarm also raises a
风险提示 linked to the point (once per alarm).

`on_alarm` answers `sensing.alarm` and `on_event` answers `event.received` (subscribed in risks/hooks.py,
beside plan activation on the same topics); both are idempotent, so a redelivered message changes nothing.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import system_actor
from cityops.risks import matrix
from cityops.risks import service as points
from cityops.risks.defaults import EVENT_CATEGORY
from cityops.risks.models import PointPrompt, RiskAssessment, RiskCategory, RiskPoint, RiskPointDevice

RISKS = system_actor("system:risks")
# The least likelihood an alarm of this severity on a linked device implies: a critical alarm means the
# hazard is under way (5 很可能), a major one that it is close (4 较可能). Lesser alarms do not re-level.
ALARM_FLOOR = {"critical": 5, "major": 4}
EVENT_FLOOR = 4  # an event of the point's own kind reported near it
NEAR_METRES = 200


def on_alarm(session: Session, payload: dict[str, Any]) -> list[RiskAssessment]:
    """sensing.alarm: reassess every point the alarm's device is linked to; a critical alarm prompts."""
    from cityops.sensing.models import Alarm, Device

    alarm = session.get(Alarm, payload.get("alarm_id"))
    if alarm is None or alarm.cleared:
        return []
    floor = ALARM_FLOOR.get(alarm.severity)
    device = session.get(Device, alarm.device_id)
    if floor is None or device is None:
        return []
    linked = session.scalars(
        select(RiskPoint)
        .join(RiskPointDevice, RiskPointDevice.point_id == RiskPoint.id)
        .where(RiskPointDevice.device_id == device.id, RiskPoint.status == "active")
    ).all()
    out = []
    for point in linked:
        if point.likelihood < floor or not _assessed_for(session, point.id, alarm.id):
            new = max(point.likelihood, floor)
            reasons = (
                f"关联设备 {device.name}（{device.code}）{_severity(alarm.severity)}告警「{alarm.type}」，"
                f"读数 {alarm.value if alarm.value is not None else '—'}；可能性 {point.likelihood} → {new}"
                f" / {alarm.severity} alarm on a linked device"
            )
            out.append(_raise_to(session, point, new, "alarm", reasons, alarm_id=alarm.id))
        if alarm.severity == "critical":
            prompt(
                session, point, alarm_id=alarm.id, text=f"{point.name}：关联设备 {device.name} 严重告警，请立即核查处置"
            )
    return out


def unanswered_alarms(session: Session, *, limit: int = 500) -> list[int]:
    """Active major/critical alarms on linked devices that no point has answered: empty when the worker
    delivers `sensing.alarm` to `on_alarm` (a check for operators and tests)."""
    from sqlalchemy import exists

    from cityops.sensing.models import Alarm

    answered = exists().where(RiskAssessment.point_id == RiskPointDevice.point_id, RiskAssessment.alarm_id == Alarm.id)
    return list(
        session.scalars(
            select(Alarm.id)
            .join(RiskPointDevice, RiskPointDevice.device_id == Alarm.device_id)
            .where(Alarm.cleared.is_(False), Alarm.severity.in_(list(ALARM_FLOOR)), ~answered)
            .distinct()
            .limit(limit)
        )
    )


def _raise_to(
    session: Session, point: RiskPoint, likelihood: int, trigger: str, reasons: str, **source: int | None
) -> RiskAssessment:
    """The point reassessed by the system at `likelihood` (its consequence stays), for the alarm or event named
    in `source` (`alarm_id=` or `event_id=`)."""
    return points.reassess(
        session,
        RISKS,
        point,
        likelihood=likelihood,
        consequence=point.consequence,
        trigger=trigger,
        reasons=reasons,
        **source,
    )


def _assessed_for(session: Session, point_id: int, alarm_id: int) -> bool:
    found = session.scalar(
        select(RiskAssessment.id).where(RiskAssessment.point_id == point_id, RiskAssessment.alarm_id == alarm_id)
    )
    return found is not None


def _severity(code: str) -> str:
    return {"critical": "严重", "major": "重要"}.get(code, code)


def prompt(session: Session, point: RiskPoint, *, alarm_id: int | None, text: str) -> PointPrompt | None:
    """A 风险提示 at the point, once per alarm."""
    if alarm_id is not None:
        exists = session.scalar(
            select(PointPrompt.id).where(PointPrompt.point_id == point.id, PointPrompt.alarm_id == alarm_id)
        )
        if exists is not None:
            return None
    row = PointPrompt(
        point_id=point.id,
        unit_id=point.unit_id,
        unit_path=point.unit_path,
        alarm_id=alarm_id,
        text=f"{text}（{matrix.LEVEL_NAME[point.level]}）",
        status="open",
        created_at=clock.now(),
    )
    audit.add_new(session, RISKS, "risk.prompt", row, point_id=point.id, alarm_id=alarm_id)
    outbox.add(session, "risk.prompt", prompt_id=row.id, point_id=point.id, unit_path=point.unit_path, text=row.text)
    return row


def on_event(session: Session, payload: dict[str, Any]) -> list[RiskAssessment]:
    """event.received: an event of a point's own kind within 200 m of it raises its likelihood to 4."""
    from cityops.events.catalogue import view as catalogue
    from cityops.events.models import Event

    event = session.get(Event, payload.get("event_id"))
    if event is None or event.lon is None or event.lat is None or (event.attributes or {}).get("risk_hazard"):
        return []
    cat = catalogue(session).by_id.get(event.category_id)
    kinds = [code for code, ev_cat in EVENT_CATEGORY.items() if cat is not None and ev_cat == cat.code]
    if not kinds:
        return []
    dlat = NEAR_METRES / 111_000
    dlon = dlat / max(math.cos(math.radians(event.lat)), 0.1)
    near = session.scalars(
        select(RiskPoint)
        .join(RiskCategory, RiskCategory.id == RiskPoint.category_id)
        .where(
            RiskCategory.code.in_(kinds),
            RiskPoint.status == "active",
            RiskPoint.lon.between(event.lon - dlon, event.lon + dlon),
            RiskPoint.lat.between(event.lat - dlat, event.lat + dlat),
        )
    ).all()
    out = []
    for point in near:
        metres = _metres(point.lon or 0.0, point.lat or 0.0, event.lon, event.lat)
        if metres > NEAR_METRES or session.scalar(
            select(RiskAssessment.id).where(RiskAssessment.point_id == point.id, RiskAssessment.event_id == event.id)
        ):
            continue
        new = max(point.likelihood, EVENT_FLOOR)
        reasons = (
            f"{metres:.0f} 米内发生事件 {event.ref}「{event.title}」；可能性 {point.likelihood} → {new} / event nearby"
        )
        out.append(_raise_to(session, point, new, "event", reasons, event_id=event.id))
    return out


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)
