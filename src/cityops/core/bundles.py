"""What an app bundle's content kind must offer, so the installer (cityops.apps) knows no domain.

A bundle is a folder of YAML files, one list of items per kind (event categories, duties, device types,
plans, indicators …). Each domain registers the kinds it owns with `hooks.bundle_kind(KindHandler(...))`;
a new application that brings new content (wage-arrears projects, truck routes) registers its own kind the
same way. Items are plain dicts; `read` returns the platform's current state of items in the same shape, so
the installer can compare what the bundle says, what it said last time and what the city has now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from cityops.core.actor import Actor

Item = dict[str, Any]


def _code(item: Item) -> str:
    return str(item["code"])


@dataclass(frozen=True)
class KindHandler:
    """One content kind. `order` sorts kinds at install (categories before the device types naming them)
    and, reversed, at uninstall.

    - read(session, keys) -> {key: item} for the keys that exist now (same fields as the YAML item)
    - write(session, actor, items) creates each item or sets it to what the item says (one call per kind,
      so a domain looks up what it needs once)
    - dependents(session, keys) -> what live data uses those items, in words ("3 个未办结事件: …")
    - remove(session, actor, keys) deletes them, or retires them (inactive) where history refers to them
    """

    kind: str
    label: str  # Chinese, for the diff and the ledger page
    label_en: str
    order: int
    read: Callable[[Session, list[str]], dict[str, Item]]
    write: Callable[[Session, Actor, list[Item]], None]
    dependents: Callable[[Session, list[str]], list[str]]
    remove: Callable[[Session, Actor, list[str]], None]
    key: Callable[[Item], str] = _code
    # Fields a city may change after install that an upgrade never overwrites (beyond the three-way merge).
    local_fields: tuple[str, ...] = ()


def in_use(session: Session, keys: list[str], model: Any, used_by: Any, on: Any, *where: Any, says: str) -> list[str]:
    """A kind's `dependents` when rows of one model use its items: per item of `model` (by `code`, named by
    `name`), how many `used_by` rows (joined `on`, filtered by `where`) use it, each in the sentence `says`
    ({name}, {n})."""
    stmt = (
        select(model.name, func.count(used_by.id))
        .join(used_by, on)
        .where(model.code.in_(keys), *where)
        .group_by(model.name)
    )
    return [says.format(name=name, n=n) for name, n in session.execute(stmt).all()]
