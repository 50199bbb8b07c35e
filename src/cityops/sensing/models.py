"""Sensing: device types, devices, raw readings, rollups, alarms (ThingsBoard's model), ingest counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class Sector(StrEnum):
    """城市生命线 sectors."""

    water = "水"
    power = "电"
    gas = "气"
    telecom = "讯"
    road = "路"
    bridge = "桥"
    tunnel = "隧"
    rail = "轨"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    warning = "warning"
    indeterminate = "indeterminate"


SEVERITY_RANK = {
    Severity.indeterminate: 0,
    Severity.warning: 1,
    Severity.minor: 2,
    Severity.major: 3,
    Severity.critical: 4,
}


class AlarmStatus(StrEnum):
    active_unack = "ACTIVE_UNACK"
    active_ack = "ACTIVE_ACK"
    cleared_unack = "CLEARED_UNACK"
    cleared_ack = "CLEARED_ACK"


class DeviceType(Base):
    __tablename__ = "device_type"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(16))  # of the reading, e.g. mm, MPa
    expected_interval_s: Mapped[int] = mapped_column(Integer)
    sector: Mapped[str | None] = mapped_column(String(4))
    category_code: Mapped[str] = mapped_column(String(64))  # the event category an alarm opens
    min_value: Mapped[float | None] = mapped_column(Float)  # physically plausible range; outside = rejected
    max_value: Mapped[float | None] = mapped_column(Float)
    rules: Mapped[Any] = mapped_column(JSONText, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Device(Base):
    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("device_type.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    sector: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | offline | disabled
    rules: Mapped[Any] = mapped_column(JSONText, default=list)  # per-device overrides, by rule id
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_ts: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Reading(Base):
    """Raw readings. (device_id, ts) is unique: a re-sent reading is stored once. On PostgreSQL the table
    is range-partitioned by day on ts (migration 0014, `sensing.partitions`) and each day indexed by device
    then time; SQLite keeps one table whose key leads with the time, so a stream's batch appends to the
    index instead of touching a page per device (migration 0020)."""

    __tablename__ = "reading"
    __table_args__ = (
        Index("uq_reading_device_ts", "device_id", "ts", unique=True).ddl_if(dialect="postgresql"),
        Index("uq_reading_ts_device", "ts", "device_id", unique=True).ddl_if(dialect="sqlite"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)


class Rollup(Base):
    """Minute ("m") and hour ("h") aggregates per device, for charts and indicators."""

    __tablename__ = "reading_rollup"
    # SQLite: the key is the table (one B-tree to update per upsert, not a table and an index).
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012
    device_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    last_ts: Mapped[datetime]
    last_value: Mapped[float] = mapped_column(Float)


class RollupFold(Base):
    """SQLite: the highest raw reading id already folded into the rollups, and when (`sensing.store`)."""

    __tablename__ = "reading_fold"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    folded_at: Mapped[datetime | None]


class Alarm(Base):
    __tablename__ = "alarm"
    __table_args__ = (Index("ix_alarm_device_type_cleared", "device_id", "type", "cleared"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    type: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(16))
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    start_ts: Mapped[datetime]
    end_ts: Mapped[datetime]  # last time the condition held
    ack_ts: Mapped[datetime | None]
    clear_ts: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    details: Mapped[Any] = mapped_column(JSONText, default=dict)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    sector: Mapped[str | None] = mapped_column(String(4))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))


class IngestCounter(Base):
    """Accepted and rejected readings per source and reason (the stream never stops for a bad one)."""

    __tablename__ = "ingest_counter"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
