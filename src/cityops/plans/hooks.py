"""What the plans domain plugs into the platform: plan activation on new events and alarms, webhook and
SMS delivery, the task and acknowledgement sweeps, and plan rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.hooks import Hooks, UnitChanged
from cityops.org.service import replace_unit, rewrite_paths
from cityops.plans import jobs, notify
from cityops.plans.models import DirectReport, Notification, Plan, PlanRun, PlanStep, ReportNotice


def follow_units(session: Session, actor: Actor, change: UnitChanged) -> None:
    # A merged-away unit's plan override keeps its unit id (plans are unique per key and unit).
    for old, new in change.moves:
        for path_col in (Plan.unit_path, PlanRun.unit_path, PlanStep.unit_path, DirectReport.unit_path):
            rewrite_paths(session, path_col, old, new)
    for retired_id, successor_id, _ in change.merged:
        for unit_col in (PlanRun.unit_id, PlanStep.unit_id, DirectReport.unit_id, ReportNotice.unit_id):
            replace_unit(session, unit_col, retired_id, successor_id)
        replace_unit(session, Notification.unit_id, retired_id, successor_id)


def install(hooks: Hooks) -> None:
    hooks.subscribe("event.received", "plans.activate", jobs.on_event_received)
    hooks.subscribe("event.noted", "plans.activate", jobs.on_event_noted)
    hooks.subscribe("notify.webhook", "plans.deliver_webhook", notify.deliver_webhook)
    hooks.subscribe("notify.sms", "plans.deliver_sms", notify.deliver_sms)
    hooks.every("plans.sweep_tasks", timedelta(seconds=30), jobs.sweep_tasks)
    hooks.every("plans.remind_unacknowledged", timedelta(seconds=30), jobs.remind)
    hooks.on_unit_changed("plans.follow_units", follow_units)
