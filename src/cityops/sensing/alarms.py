"""Alarm transitions (ThingsBoard's model) and the events they open: one alarm per device and type while
active; an alarm of major or critical severity opens one event through the events service (source =
sensor), whose timeline then carries the alarm's history; clearing notes the event but never closes it."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import audit, clock, outbox
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.errors import Invalid, NotFound
from cityops.events import service as events
from cityops.events.intake import IntakeItem, intake_many
from cityops.events.models import Source
from cityops.sensing.defaults import EVENT_ATTRIBUTES
from cityops.sensing.models import SEVERITY_RANK, Alarm, AlarmStatus, Device, Severity
from cityops.sensing.registry import DeviceInfo, registry_of
from cityops.sensing.rules import Change
from cityops.workflow.engine import Flow

SENSING = system_actor("system:sensing")
OPENS_EVENT = SEVERITY_RANK[Severity.major]
EVENT_SEVERITY = {"critical": "urgent", "major": "high"}


def status_of(cleared: bool, acknowledged: bool) -> str:
    if cleared:
        return AlarmStatus.cleared_ack if acknowledged else AlarmStatus.cleared_unack
    return AlarmStatus.active_ack if acknowledged else AlarmStatus.active_unack


Pending = list[tuple["Alarm", "DeviceInfo", Change]]


def apply(session: Session, device: DeviceInfo, change: Change, pending: Pending | None = None) -> Alarm | None:
    """Move the device's alarm for this rule's type; alarms that need an event are appended to `pending`
    (opened together by `open_events`), or opened at once when no list is given."""
    key = (device.id, change.rule.type)
    alarm_id = registry_of(session).alarm_ids.get(key)
    alarm = session.get(Alarm, alarm_id) if alarm_id else None
    if alarm is not None and alarm.cleared:
        alarm = None
    if change.raised:
        raised = _raise(session, device, change, alarm)
        if raised.event_id is None and SEVERITY_RANK[Severity(raised.severity)] >= OPENS_EVENT:
            if pending is None:
                open_events(session, [(raised, device, change)])
            else:
                pending.append((raised, device, change))
        return raised
    if alarm is not None:
        _clear(session, device, alarm, change.ts, None if math.isnan(change.value) else change.value, by=None)
        registry_of(session).alarm_ids.pop(key, None)
    return alarm


def _raise(session: Session, device: DeviceInfo, change: Change, alarm: Alarm | None) -> Alarm:
    details = {"rule": change.rule.id, "kind": change.rule.kind, "unit": device.unit, "device": device.code}
    value = None if math.isnan(change.value) else change.value
    if alarm is None:
        alarm = Alarm(
            device_id=device.id,
            type=change.rule.type,
            severity=change.severity,
            cleared=False,
            acknowledged=False,
            status=AlarmStatus.active_unack,
            start_ts=change.ts,
            end_ts=change.ts,
            value=value,
            details=details,
            unit_path=device.unit_path,
            sector=device.sector,
        )
        session.add(alarm)
        session.flush()
        registry_of(session).alarm_ids[(device.id, alarm.type)] = alarm.id
        audit.record(
            session,
            SENSING,
            "sensing.alarm_raised",
            alarm,
            device=device.code,
            type=alarm.type,
            severity=alarm.severity,
            value=value,
        )
        _announce(session, device, alarm)
    elif SEVERITY_RANK[Severity(change.severity)] > SEVERITY_RANK[Severity(alarm.severity)]:
        before = alarm.severity
        alarm.severity, alarm.end_ts, alarm.value = change.severity, change.ts, value
        if alarm.event_id is not None:
            events.note(
                session,
                SENSING,
                alarm.event_id,
                "alarm",
                f"告警升级：{before} → {alarm.severity}，读数 {change.value:g}{device.unit} / alarm escalated",
                data={"alarm_id": alarm.id, "severity": alarm.severity, "device_type": device.type_code},
            )
            # Plans whose trigger needs the higher severity may start now.
            _announce(session, device, alarm, escalated=True)
    else:
        alarm.end_ts, alarm.value = change.ts, value
    return alarm


def _announce(session: Session, device: DeviceInfo, alarm: Alarm, **extra: object) -> None:
    """`sensing.alarm`, for a new alarm or one whose severity rose (`escalated=True`): plans and risks answer it."""
    outbox.add(
        session,
        "sensing.alarm",
        alarm_id=alarm.id,
        device=device.code,
        type=alarm.type,
        severity=alarm.severity,
        unit_path=device.unit_path,
        **extra,
    )


def _text(device: DeviceInfo, alarm: Alarm, change: Change) -> str:
    value = "—" if change.value != change.value else f"{change.value:g}{device.unit}"  # NaN: no reading
    return f"{device.type_name}「{device.name}」（{device.code}）{alarm.type}：读数 {value}，级别 {alarm.severity}"


def open_events(session: Session, pending: Pending) -> list[int]:
    """Give each pending alarm an event: the device's still-open one, or one new event per device,
    all opened in one intake batch. Returns the new event ids."""
    if not pending:
        return []
    from sqlalchemy import select

    device_ids = sorted({d.id for _, d, _ in pending})
    latest: dict[int, int] = {}
    for device_id, event_id in session.execute(
        select(Alarm.device_id, Alarm.event_id)
        .where(Alarm.device_id.in_(device_ids), Alarm.event_id.is_not(None))
        .order_by(Alarm.id)
    ):
        if event_id is not None:
            latest[device_id] = event_id
    open_ids = events.open_among(session, list(latest.values()))
    by_device: dict[int, int] = {d: e for d, e in latest.items() if e in open_ids}
    firsts: dict[int, tuple[Alarm, DeviceInfo, Change]] = {}
    for alarm, device, change in pending:
        if device.id not in by_device and device.id not in firsts:
            firsts[device.id] = (alarm, device, change)
    items = [
        IntakeItem(
            category=d.category_code,
            description=_text(d, a, c),
            title=f"{a.type}：{d.name}",
            source=Source.sensor,
            severity=EVENT_SEVERITY.get(a.severity),
            unit_id=d.unit_id,
            lon=d.lon,
            lat=d.lat,
            attributes=dict(EVENT_ATTRIBUTES.get(d.category_code, {})),
            idempotency_key=f"alarm:{a.id}",
        )
        for a, d, c in firsts.values()
    ]
    created: list[int] = []
    for (device_id, _), result in zip(firsts.items(), intake_many(session, SENSING, items), strict=True):
        if result.event_id is not None:
            by_device[device_id] = result.event_id
            created.append(result.event_id)
    for alarm, device, change in pending:
        event_id = by_device.get(device.id)
        if event_id is None:
            continue
        alarm.event_id = event_id
        again = event_id not in created or firsts[device.id][0] is not alarm
        events.note(
            session,
            SENSING,
            event_id,
            "alarm",
            f"{'再次告警 / raised again' if again else '告警触发 / alarm raised'} — {_text(device, alarm, change)}",
            data={
                "alarm_id": alarm.id,
                "started": alarm.start_ts.isoformat(),
                "severity": alarm.severity,
                "device_type": device.type_code,
            },
        )
    return created


def _clear(
    session: Session, device: DeviceInfo, alarm: Alarm, at: datetime, value: float | None, by: Actor | None
) -> None:
    alarm.cleared, alarm.clear_ts = True, at
    alarm.status = status_of(True, alarm.acknowledged)
    audit.record(session, by or SENSING, "sensing.alarm_cleared", alarm, value=value, by=by.username if by else "rule")
    if alarm.event_id is not None:
        who = f"由 {by.username} 手动" if by else "读数恢复，自动"
        events.note(
            session,
            SENSING,
            alarm.event_id,
            "alarm",
            f"告警已清除（{who}）：{alarm.type} / alarm cleared — the event stays open until a person closes it",
            data={"alarm_id": alarm.id, "value": value},
        )
    outbox.add(session, "sensing.alarm_cleared", alarm_id=alarm.id, unit_path=alarm.unit_path)


MAX_NOTE = 500


def _note(alarm: Alarm, actor: Actor, action: str, note: str) -> None:
    """A person's note on the alarm (who, when, what they did), kept in its details in order."""
    note = note.strip()[:MAX_NOTE]
    if not note:
        return
    entry = {"at": clock.now().isoformat(), "by": actor.username, "action": action, "text": note}
    alarm.details = {**(alarm.details or {}), "notes": [*(alarm.details or {}).get("notes", []), entry]}


# What people do to an alarm (ThingsBoard's model): acknowledge it once, clear it once, in either order.
# Rules clear alarms on their own (`_clear`); a person's clear goes through this table as well.
ALARM_FLOW = Flow(
    "alarm",
    {
        (AlarmStatus.active_unack, "ack"): AlarmStatus.active_ack,
        (AlarmStatus.active_unack, "clear"): AlarmStatus.cleared_unack,
        (AlarmStatus.active_ack, "clear"): AlarmStatus.cleared_ack,
        (AlarmStatus.cleared_unack, "ack"): AlarmStatus.cleared_ack,
    },
    labels={
        AlarmStatus.active_unack: "活动未确认",
        AlarmStatus.active_ack: "活动已确认",
        AlarmStatus.cleared_unack: "已清除未确认",
        AlarmStatus.cleared_ack: "已清除已确认",
        "ack": "确认",
        "clear": "清除",
    },
    code="alarm.invalid_transition",
    codes={"ack": "alarm.already_acknowledged", "clear": "alarm.already_cleared"},
)
ACTIONS = ("ack", "clear")


def acknowledge(session: Session, actor: Actor, alarm: Alarm, note: str = "") -> Alarm:
    _check_staff(actor)
    alarm.status = ALARM_FLOW.next_state(status_of(alarm.cleared, alarm.acknowledged), "ack")
    alarm.acknowledged, alarm.ack_ts, alarm.acked_by = True, clock.now(), actor.username
    _note(alarm, actor, "ack", note)
    audit.record(session, actor, "sensing.alarm_acknowledged", alarm, note=note.strip()[:MAX_NOTE])
    return alarm


def clear_by_hand(session: Session, actor: Actor, alarm: Alarm, device: DeviceInfo, note: str = "") -> Alarm:
    _check_staff(actor)
    ALARM_FLOW.next_state(status_of(alarm.cleared, alarm.acknowledged), "clear")  # refused once cleared
    _note(alarm, actor, "clear", note)
    _clear(session, device, alarm, clock.now(), None, by=actor)
    registry_of(session).alarm_ids.pop((alarm.device_id, alarm.type), None)
    state = registry_of(session).states.get(alarm.device_id)
    if state is not None:
        for rule in state.rules:
            if rule.type == alarm.type:
                state.active.pop(rule.id, None)
    return alarm


def act(session: Session, actor: Actor, alarm: Alarm, action: str, note: str = "") -> Alarm:
    """A person's action on an alarm, `ack` or `clear` (the API's and the page's one way in)."""
    if action == "ack":
        return acknowledge(session, actor, alarm, note)
    if action != "clear":
        raise Invalid("未知操作 / unknown action", field="action", code="alarm.invalid_action")
    _check_staff(actor)
    device = session.get(Device, alarm.device_id)
    assert device is not None
    info = registry_of(session).lookup(session, {device.code})[device.code]
    return clear_by_hand(session, actor, alarm, info, note)


def _check_staff(actor: Actor) -> None:
    if not actor.has(Role.dispatcher, Role.leader, Role.handler, Role.sysadmin):
        raise NotFound("告警不存在 / alarm not found", code="alarm.not_found")


OFFLINE_KIND = "offline"


def start_offline(session: Session, device: DeviceInfo, at: datetime, silent_s: float) -> Alarm | None:
    """A device silent for too long: raise its offline alarm (the periodic job calls this)."""
    state = registry_of(session).states.get(device.id)
    rule = next((r for r in state.rules if r.kind == OFFLINE_KIND), None) if state else None
    if rule is None or state is None or rule.id in state.active:
        return None
    state.active[rule.id] = rule.severity
    from cityops.sensing.rules import Change

    return _raise(session, device, Change(rule, True, rule.severity, at, float("nan")), None)


def end_offline(session: Session, device: DeviceInfo, at: datetime) -> None:
    """Clear the device's offline alarm, which another process (the worker) may have raised: this process's
    rule state may not know it, the database does."""
    registry = registry_of(session)
    state = registry.states.get(device.id)
    rule = next((r for r in state.rules if r.kind == OFFLINE_KIND), None) if state else None
    if rule is None or state is None:
        return
    state.active.pop(rule.id, None)
    alarm = session.scalars(
        select(Alarm).where(Alarm.device_id == device.id, Alarm.type == rule.type, Alarm.cleared.is_(False))
    ).first()
    if alarm is not None:
        registry.alarm_ids.pop((device.id, alarm.type), None)
        _clear(session, device, alarm, at, None, None)
