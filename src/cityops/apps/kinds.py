"""The content kind the apps domain owns itself: menu entries (菜单) a bundle adds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.apps.models import AppMenuEntry
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler
from cityops.core.errors import Invalid


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    rows = session.scalars(select(AppMenuEntry).where(AppMenuEntry.code.in_(keys)))
    return {m.code: {"code": m.code, "label": m.label, "label_en": m.label_en, "url": m.url} for m in rows}


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    for item in items:
        url = str(item.get("url") or "")
        if not url.startswith("/") or url.startswith("//"):  # entries link inside the platform only
            raise Invalid("菜单地址应以 / 开头 / menu url must start with /", field="menu.url", code="apps.bad_menu")
        row = session.scalars(select(AppMenuEntry).where(AppMenuEntry.code == item["code"])).one_or_none()
        if row is None:
            row = AppMenuEntry(code=item["code"], label=item["label"], url=url)
            session.add(row)
        row.label, row.label_en, row.url = item["label"], item.get("label_en") or "", url
    session.flush()


def dependents(session: Session, keys: list[str]) -> list[str]:
    return []


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    for row in session.scalars(select(AppMenuEntry).where(AppMenuEntry.code.in_(keys))):
        session.delete(row)
    session.flush()


def kinds() -> list[KindHandler]:
    return [KindHandler("menu", "菜单入口", "Menu entries", 90, read, write, dependents, remove)]
