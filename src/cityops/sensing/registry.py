"""The ingest process's view of devices: code -> id, type, unit and compiled rules, plus rule state.

Loaded in batches for the codes a batch mentions, refreshed after a minute (or at once in this process
when devices change), so readings are validated and evaluated without a query per reading.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.hooks import hooks_of
from cityops.sensing.models import Alarm, Device, DeviceType
from cityops.sensing.rules import DeviceState, compile_rules, merge_specs

TTL_SECONDS = 60.0


@dataclass
class DeviceInfo:
    id: int
    code: str
    name: str
    type_code: str
    type_name: str
    unit: str
    interval_s: int
    category_code: str
    unit_id: int
    unit_path: str
    department_id: int | None
    sector: str | None
    lon: float | None
    lat: float | None
    min_value: float | None
    max_value: float | None
    version: tuple[int, int]
    status: str
    loaded_at: float


class Registry:
    def __init__(self) -> None:
        self.devices: dict[str, DeviceInfo] = {}
        self.states: dict[int, DeviceState] = {}
        self.state_versions: dict[int, tuple[int, int]] = {}
        self.alarm_ids: dict[tuple[int, str], int] = {}  # (device, alarm type) -> active alarm id
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Forget devices and rule state (a benchmark starting cold)."""
        with self.lock:
            self.devices.clear()
            self.states.clear()
            self.state_versions.clear()
            self.alarm_ids.clear()

    def invalidate(self) -> None:
        with self.lock:
            self.devices.clear()

    def lookup(self, session: Session, codes: set[str]) -> dict[str, DeviceInfo]:
        now = time.monotonic()
        missing = {c for c in codes if c not in self.devices or now - self.devices[c].loaded_at > TTL_SECONDS}
        if missing:
            self._load(session, missing, now)
        return {c: self.devices[c] for c in codes if c in self.devices}

    def _load(self, session: Session, codes: set[str], now: float) -> None:
        rows = session.execute(
            select(Device, DeviceType)
            .join(DeviceType, DeviceType.code == Device.type_code)
            .where(Device.code.in_(codes), Device.status != "disabled")
        ).all()
        fresh: list[int] = []
        for device, dtype in rows:
            info = DeviceInfo(
                device.id,
                device.code,
                device.name,
                dtype.code,
                dtype.name,
                dtype.unit,
                dtype.expected_interval_s,
                dtype.category_code,
                device.unit_id,
                device.unit_path,
                device.department_id,
                device.sector or dtype.sector,
                device.lon,
                device.lat,
                dtype.min_value,
                dtype.max_value,
                (dtype.version, device.version),
                device.status,
                now,
            )
            with self.lock:
                self.devices[device.code] = info
            if self.state_versions.get(device.id) != info.version:
                self.states[device.id] = DeviceState(compile_rules(merge_specs(dtype.rules or [], device.rules or [])))
                self.state_versions[device.id] = info.version
                fresh.append(device.id)
        if fresh:
            self._restore_alarms(session, fresh)

    def _restore_alarms(self, session: Session, device_ids: list[int]) -> None:
        """After a restart, rules continue from the alarms still active in the database."""
        for alarm in session.scalars(select(Alarm).where(Alarm.device_id.in_(device_ids), Alarm.cleared.is_(False))):
            self.alarm_ids[(alarm.device_id, alarm.type)] = alarm.id
            state = self.states.get(alarm.device_id)
            if state is None:
                continue
            for rule in state.rules:
                if rule.type == alarm.type:
                    state.active[rule.id] = alarm.severity
                    state.last_held[rule.id] = alarm.end_ts.timestamp()


REGISTRY_KEY = "sensing.registry"


def registry_of(session: Session) -> Registry:
    """This process's registry (one per app or worker, installed on its hooks by sensing.hooks)."""
    registry = hooks_of(session).state[REGISTRY_KEY]
    assert isinstance(registry, Registry)
    return registry
