"""渣土治理 tables: sites (construction = where muck comes from, disposal = 消纳场 where it may go), licensed
trucks with their GPS channels (sensing devices), the positions read from sensing, the scan cursor, and
violations (one event each)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class MuckSite(Base):
    __tablename__ = "muck_site"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # construction | disposal
    name: Mapped[str] = mapped_column(String(160))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float, default=150.0)  # a point with a radius, when no polygon
    polygon: Mapped[Any] = mapped_column(JSONText, nullable=True)  # GeoJSON Polygon, when imported
    license_no: Mapped[str] = mapped_column(String(60), default="")
    licensed_until: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | closed
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Truck(Base):
    """A licensed muck truck (核准渣土运输车辆); its GPS sends latitude, longitude and speed as three sensing
    channels (`<code>.lat`, `<code>.lon`, `<code>.spd`) sharing each fix's timestamp."""

    __tablename__ = "muck_truck"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)  # the GPS terminal id
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    company: Mapped[str] = mapped_column(String(160), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # the licensing district
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    lat_device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    lon_device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    speed_device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    route: Mapped[Any] = mapped_column(JSONText, nullable=True)  # approved corridor: [[lon, lat], …]
    route_width_m: Mapped[float] = mapped_column(Float, default=200.0)
    night_permit_until: Mapped[date | None]  # 夜间运输许可 valid through this date
    license_no: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # detection state: each position is considered once, in time order
    checked_ts: Mapped[datetime | None]
    stop_since: Mapped[datetime | None]
    stop_lon: Mapped[float | None] = mapped_column(Float)
    stop_lat: Mapped[float | None] = mapped_column(Float)
    stop_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    off_route: Mapped[bool] = mapped_column(Boolean, default=False)
    night_key: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]


class TrackPoint(Base):
    """One GPS fix assembled from the truck's channels (sensing keeps the raw readings)."""

    __tablename__ = "muck_track_point"
    __table_args__ = (
        UniqueConstraint("truck_id", "ts", name="uq_muck_track_point"),
        Index("ix_muck_track_point_ts", "ts"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    truck_id: Mapped[int] = mapped_column(ForeignKey("muck_truck.id", ondelete="CASCADE"))
    ts: Mapped[datetime]
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)  # km/h


class ScanCursor(Base):
    """How far the muck scan has read sensing's readings (by reading id)."""

    __tablename__ = "muck_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None]


class Violation(Base):
    __tablename__ = "muck_violation"
    __table_args__ = (UniqueConstraint("truck_id", "kind", "key", name="uq_muck_violation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    truck_id: Mapped[int] = mapped_column(ForeignKey("muck_truck.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # dumping | off_route | night
    key: Mapped[str] = mapped_column(String(40))  # what makes it one violation (the stop's start, the night …)
    at: Mapped[datetime]
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("muck_site.id"))  # the nearest site
    site_distance_m: Mapped[float | None] = mapped_column(Float)
    minutes: Mapped[float | None] = mapped_column(Float)  # how long the stop lasted when flagged
    track: Mapped[Any] = mapped_column(JSONText, default=list)  # [[lon, lat, iso ts, speed], …]
    unit_path: Mapped[str] = mapped_column(PathString, index=True, default="")  # the event's location
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    created_at: Mapped[datetime]
