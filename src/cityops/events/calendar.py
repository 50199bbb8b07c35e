"""Deadlines in natural or working time.

Durations are strings: "30m", "2h", "1d" (natural time, for urgent matters that run day and night)
and "3wd" (working days: Monday–Friday in China Standard Time, minus configured holidays, plus
configured make-up days; the deadline falls at the same local time on the Nth working day).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cityops.core import cache
from cityops.core.cache import VersionedCache
from cityops.core.errors import Invalid
from cityops.events.models import WorkCalendarDay

CST = ZoneInfo("Asia/Shanghai")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(m|h|d|wd)$")


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str  # m | h | d | wd

    @property
    def working_days(self) -> bool:
        return self.unit == "wd"

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit}"


def parse_duration(text: str, *, field_name: str = "duration") -> Duration:
    m = _DURATION.match(text.strip())
    if not m or float(m.group(1)) <= 0:
        raise Invalid(
            f"时限格式应如 30m、2h、1d、3wd / A duration looks like 30m, 2h, 1d or 3wd: {text!r}",
            field=field_name,
            code="event.invalid_duration",
        )
    return Duration(float(m.group(1)), m.group(2))


@dataclass
class WorkCalendar:
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)

    def is_working_day(self, d: date) -> bool:
        if d in self.holidays:
            return False
        return d in self.workdays or d.weekday() < 5

    def add(self, start: datetime, duration: Duration) -> datetime:
        if duration.unit == "m":
            return start + timedelta(minutes=duration.amount)
        if duration.unit == "h":
            return start + timedelta(hours=duration.amount)
        if duration.unit == "d":
            return start + timedelta(days=duration.amount)
        local = start.astimezone(CST)
        day, remaining = local.date(), int(duration.amount)
        if not self.is_working_day(day):
            # Counting starts on the next working day, at its start (08:30 local).
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = datetime(day.year, day.month, day.day, 8, 30, tzinfo=CST)
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        end = datetime(day.year, day.month, day.day, local.hour, local.minute, local.second, tzinfo=CST)
        return end.astimezone(start.tzinfo)


def _calendar_signature(session: Session) -> Hashable:
    holiday = case((WorkCalendarDay.kind == "holiday", 1), else_=0)
    return tuple(
        session.execute(
            select(func.count(), func.sum(holiday), func.min(WorkCalendarDay.day), func.max(WorkCalendarDay.day))
        ).one()
    )


def _build_calendar(session: Session, _sig: Hashable) -> WorkCalendar:
    cal = WorkCalendar()
    for day, kind in session.execute(select(WorkCalendarDay.day, WorkCalendarDay.kind)):
        (cal.holidays if kind == "holiday" else cal.workdays).add(day)
    return cal


# Every deadline reads the calendar; it changes a few times a year (read-only for its users).
_CALENDAR: VersionedCache[WorkCalendar] = VersionedCache(_calendar_signature, _build_calendar)
cache.watch((WorkCalendarDay,), _CALENDAR.invalidate)


def load_calendar(session: Session) -> WorkCalendar:
    return _CALENDAR.get(session)


MAX_PERIOD_DAYS = 400


def kpi_period(first: date | None, last: date | None, default: tuple[date, date], *, code: str) -> tuple[date, date]:
    """A KPI period of China days [first, last] from a query (each end falls back on `default`'s), at most
    400 days long; `code` names the domain's refusal (wages.invalid_period, muck.invalid_period)."""
    first, last = first or default[0], last or default[1]
    if first > last or (last - first).days > MAX_PERIOD_DAYS:
        raise Invalid("统计期间无效 / the period is invalid (≤ 400 days)", field="first", code=code)
    return first, last
