"""What the plans domain plugs into the platform: plan activation on new events and alarms, webhook and
SMS delivery, the task and acknowledgement sweeps, and plan rows following units that move or merge."""

from __future__ import annotations

from datetime import timedelta

from cityops.core.hooks import Hooks
from cityops.core.paths import following
from cityops.plans import bundle_kinds, jobs, notify
from cityops.plans.models import DirectReport, Notification, Plan, PlanRun, PlanStep, ReportNotice

PATHS = (Plan.unit_path, PlanRun.unit_path, PlanStep.unit_path, DirectReport.unit_path)
# A merged-away unit's plan override keeps its unit id (plans are unique per key and unit).
UNITS = (PlanRun.unit_id, PlanStep.unit_id, DirectReport.unit_id, ReportNotice.unit_id, Notification.unit_id)


def install(hooks: Hooks) -> None:
    hooks.subscribe("event.received", "plans.activate", jobs.on_event_received)
    hooks.subscribe("event.noted", "plans.activate", jobs.on_event_noted)
    hooks.deliver_outside("notify.webhook", "plans.deliver_webhook", notify.deliver_webhook)
    hooks.deliver_outside("notify.sms", "plans.deliver_sms", notify.deliver_sms)
    hooks.every("plans.sweep_tasks", timedelta(seconds=30), jobs.sweep_tasks)
    hooks.every("plans.remind_unacknowledged", timedelta(seconds=30), jobs.remind)
    hooks.on_unit_changed("plans.follow_units", following(PATHS, UNITS))
    for kind in bundle_kinds.kinds():
        hooks.bundle_kind(kind)
