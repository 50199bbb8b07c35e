"""`cityops worker`: runs due periodic jobs, one-off jobs and outbox deliveries, in a loop.

Each unit of work has its own transaction; a failure is recorded on its row and retried with
backoff, and never stops the loop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock, jobs, leases, outbox
from cityops.core.db import session_scope
from cityops.core.hooks import HOOKS_KEY, Hooks, Periodic

log = logging.getLogger("cityops.worker")


@dataclass
class WorkerStats:
    periodic_runs: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    messages_done: int = 0
    messages_failed: int = 0
    errors: list[str] = field(default_factory=list)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        hooks: Hooks | None = None,
        owner: str | None = None,
        lease_seconds: int = 60,
        max_attempts: int = 8,
        batch: int = 100,
    ) -> None:
        self.factory = factory
        self.hooks = hooks or factory.kw["info"][HOOKS_KEY]  # the hooks its sessions carry
        self.owner = owner or worker_id()
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.batch = batch
        self.stats = WorkerStats()

    # -- periodic jobs -------------------------------------------------------------------------
    def ensure_schedules(self) -> None:
        with session_scope(self.factory) as s:
            known = set(s.scalars(select(jobs.JobSchedule.name)))
            missing = [name for name in self.hooks.periodic if name not in known]
            if missing:
                now = clock.now()
                s.execute(insert(jobs.JobSchedule), [{"name": n, "next_run_at": now, "runs": 0} for n in missing])

    def run_periodic(self) -> int:
        ran = 0
        now = clock.now()
        for spec in list(self.hooks.periodic.values()):
            if not self._claim_schedule(spec, now):
                continue
            try:
                with session_scope(self.factory) as s:
                    spec.fn(s, now)
                ran += 1
                self.stats.periodic_runs += 1
            except Exception as exc:  # a failing job must not stop the worker
                log.exception("periodic job %s failed", spec.name)
                self._note_schedule_error(spec.name, exc)
        return ran

    def _claim_schedule(self, spec: Periodic, now: Any) -> bool:
        with session_scope(self.factory) as s:
            row = s.get(jobs.JobSchedule, spec.name)
            if row is None or row.next_run_at > now:
                return False
            # Optimistic claim: only the worker whose UPDATE still sees the old next_run_at wins.
            result = s.execute(
                update(jobs.JobSchedule)
                .where(jobs.JobSchedule.name == spec.name, jobs.JobSchedule.next_run_at == row.next_run_at)
                .values(
                    next_run_at=now + spec.every,
                    last_run_at=now,
                    last_owner=self.owner,
                    runs=jobs.JobSchedule.runs + 1,
                )
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def _note_schedule_error(self, name: str, exc: Exception) -> None:
        with session_scope(self.factory) as s:
            s.execute(update(jobs.JobSchedule).where(jobs.JobSchedule.name == name).values(last_error=repr(exc)[:2000]))

    # -- one-off jobs and outbox: same lease protocol ---------------------------------------------
    def run_jobs(self) -> int:
        return self._drain(jobs.Job, lambda row: self.hooks.tasks[row.name], is_job=True)

    def deliver_outbox(self) -> int:
        return self._drain(outbox.OutboxMessage, lambda row: self._deliver_to_subscribers(row.topic), is_job=False)

    def _deliver_to_subscribers(self, topic: str) -> Any:
        """Every subscriber of the topic, for each payload the row carries, in one transaction: one failing
        means all are retried together (their database effects were rolled back with it; a shared row is
        split first, `outbox.split`), so each effect happens once. A topic nobody
        subscribes to is simply marked delivered (the row stays as a log until retention purges it)."""
        handlers = self.hooks.handlers_for(topic)

        def deliver(session: Session, stored: dict[str, Any]) -> None:
            for payload in outbox.payloads_of(stored):
                for handler in handlers:
                    handler(session, payload)

        return deliver

    def _deliver_outside(self, row_id: int) -> bool:
        """Network deliveries (webhooks, SMS) of a claimed message, with no transaction open: a slow
        receiver holds no lock that API writers wait for. At least once: a worker that dies after the
        I/O and before marking the row done delivers again when its lease expires (receivers de-duplicate
        by the delivery id). False when the lease was lost."""
        with session_scope(self.factory, write=False) as s:
            row = s.get(outbox.OutboxMessage, row_id)
            if row is None or row.status != leases.RUNNING or row.lease_owner != self.owner:
                return False
            topic, payloads = row.topic, outbox.payloads_of(dict(row.payload))
        for payload in payloads:
            for deliver in self.hooks.external_for(topic):
                deliver(self.hooks, dict(payload))
        return True

    def _drain(self, model: Any, resolve: Any, *, is_job: bool) -> int:
        with session_scope(self.factory) as s:
            ids = leases.claim(s, model, self.owner, clock.now(), lease=self.lease, limit=self.batch)
            # Which claimed messages go to the outside world: read once per batch, not once per message.
            outward = (
                set()
                if is_job or not ids or not self.hooks.external
                else set(
                    s.scalars(select(model.id).where(model.id.in_(ids), model.topic.in_(list(self.hooks.external))))
                )
            )
        done = 0
        for row_id in ids:
            try:
                if row_id in outward and not self._deliver_outside(row_id):
                    continue
                with session_scope(self.factory) as s:
                    row = leases.lock_own(s, model, row_id, self.owner)
                    if row is None:
                        continue
                    resolve(row)(s, row.payload)
                    leases.mark_done(row, clock.now())
                done += 1
                if is_job:
                    self.stats.jobs_done += 1
                else:
                    self.stats.messages_done += 1
            except Exception:
                error = traceback.format_exc(limit=5)
                log.warning("%s %s failed: %s", model.__tablename__, row_id, error.splitlines()[-1])
                self.stats.errors.append(error)
                if is_job:
                    self.stats.jobs_failed += 1
                else:
                    self.stats.messages_failed += 1
                with session_scope(self.factory) as s:
                    row = leases.lock_own(s, model, row_id, self.owner)
                    if row is None:
                        continue
                    now = clock.now()
                    if is_job or not outbox.split(s, row, error, now, max_attempts=self.max_attempts):
                        leases.mark_failed(row, error, now, max_attempts=self.max_attempts)
        return done

    def tick(self) -> int:
        """One pass over everything due; returns how much work was done."""
        return self.run_periodic() + self.run_jobs() + self.deliver_outbox()

    def run_forever(self, stop: threading.Event, *, poll_seconds: float = 1.0) -> None:
        self.ensure_schedules()
        log.info("worker %s started", self.owner)
        while not stop.is_set():
            try:
                busy = self.tick()
            except Exception:  # e.g. database briefly unavailable: log, wait, go on
                log.exception("worker tick failed")
                busy = 0
            if not busy:
                stop.wait(poll_seconds)
        log.info("worker %s stopped", self.owner)
