"""Org tree (city > district > street > community > grid), departments, centres, geometry, history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText

# Paths compare byte-wise so prefix ranges work with an index; PostgreSQL's locale collations
# ignore punctuation, so the column uses the "C" collation there.
PathString = String(255).with_variant(String(255, collation="C"), "postgresql")


class OrgLevel(StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"
    grid = "grid"


LEVEL_DEPTH = {
    OrgLevel.city: 0,
    OrgLevel.district: 1,
    OrgLevel.street: 2,
    OrgLevel.community: 3,
    OrgLevel.grid: 4,
}
LEVEL_NAMES = {"city": "市", "district": "区县", "street": "镇街", "community": "村社", "grid": "网格"}
CENTRE_LEVELS = (OrgLevel.city, OrgLevel.district, OrgLevel.street)


class OrgUnit(Base):
    __tablename__ = "org_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)  # NBS code; generated grids: community+G01
    name: Mapped[str] = mapped_column(String(80), index=True)
    short_name: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # 区 县 功能区 街道 镇 乡 社区 村 网格
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(PathString, index=True)
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]  # set when merged away; None = current
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("unit_id", "code", name="uq_department_unit_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the city or district it serves
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    code: Mapped[str] = mapped_column(String(32))  # e.g. "urban_management"
    name: Mapped[str] = mapped_column(String(80))  # e.g. "渝中区城市管理局"
    short_name: Mapped[str] = mapped_column(String(40))  # e.g. "城市管理"
    duty_scope: Mapped[Any] = mapped_column(JSONText)  # category families it is responsible for


class Centre(Base):
    __tablename__ = "centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), unique=True)
    level: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), default="operating")  # operating | drill | suspended
    # The duty phone the SMS adapter texts for urgent notices (plans, direct reports); None = no SMS.
    duty_phone: Mapped[str | None] = mapped_column(String(20))


class UnitGeometry(Base):
    """District polygons as GeoJSON text (portable); geo queries run in shapely, not in SQL."""

    __tablename__ = "unit_geometry"
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    geojson: Mapped[str] = mapped_column(Text)
    area_km2: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(80))


class UnitChange(Base):
    """History of renames, merges, splits and moves."""

    __tablename__ = "unit_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(12))  # rename | merge | split | move | create
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    other_unit_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[Any] = mapped_column(JSONText)
    actor_name: Mapped[str] = mapped_column(String(80))
