"""The application ledger (应用台账): applications, their status history and three-level deployment, and
the app bundles installed on this platform with the content each one wrote."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cityops.core.db import Base, JSONText
from cityops.org.models import PathString


class App(Base):
    __tablename__ = "app"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the bundle key when a bundle registered it
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    family: Mapped[str | None] = mapped_column(String(24))  # one of the six systems, or None (未归类)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    owner_department: Mapped[str | None] = mapped_column(String(32))  # department code
    level: Mapped[str] = mapped_column(String(12), default="city")  # built at city | district | street
    description: Mapped[str] = mapped_column(Text, default="")
    # The national information-system fields (政务信息系统): 安全等级, 建设资金来源, 上线时间, 运维单位, API.
    security_level: Mapped[str | None] = mapped_column(String(12))
    funding_source: Mapped[str | None] = mapped_column(String(80))
    launched_on: Mapped[date | None] = mapped_column(Date)
    operator: Mapped[str | None] = mapped_column(String(120))
    offers_api: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="catalogued")
    bundle_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AppStatusLog(Base):
    """Who moved an application from one status to the next, when and why."""

    __tablename__ = "app_status_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(400))


class AppDeployment(Base):
    """A district or street (or the city) where the application is deployed."""

    __tablename__ = "app_deployment"
    __table_args__ = (UniqueConstraint("app_id", "unit_id", name="uq_app_deployment_app_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    level: Mapped[str] = mapped_column(String(12))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64))


class AppMenuEntry(Base):
    """A menu entry an installed bundle adds (shown on the ledger page and the app's page)."""

    __tablename__ = "app_menu_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(120), default="")
    url: Mapped[str] = mapped_column(String(200))


class InstalledBundle(Base):
    __tablename__ = "installed_bundle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(400), default="")  # a shipped key, or the folder it came from
    requires: Mapped[Any] = mapped_column(JSONText, default=list)  # kept: a city's folder may be gone later
    status: Mapped[str] = mapped_column(String(12), default="installed")  # installed | archived
    installed_at: Mapped[datetime]
    installed_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class BundleItem(Base):
    """What a bundle wrote for one item, as the bundle said it: the base of the three-way merge that lets
    an upgrade change what the city left alone and keep what the city edited."""

    __tablename__ = "bundle_item"
    __table_args__ = (UniqueConstraint("bundle_key", "kind", "item_key", name="uq_bundle_item_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_key: Mapped[str] = mapped_column(ForeignKey("installed_bundle.key", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    item_key: Mapped[str] = mapped_column(String(120))
    content: Mapped[Any] = mapped_column(JSONText)
