"""Materialised paths ("/1/23/456/"): the subtree test every scoped query uses, and the set-based rewrites
each domain applies to its own cached paths when org units move or merge (see core.hooks.UnitChanged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, update
from sqlalchemy.orm import Session


def in_subtree(path_col: Any, prefix: str) -> ColumnElement[bool]:
    """`path_col` lies under `prefix` ("/1/23/"): a range, so an index serves it on both backends."""
    if not prefix:
        return literal(False)
    return and_(path_col >= prefix, path_col < prefix[:-1] + "0")


def rewrite_paths(session: Session, path_col: Any, old_prefix: str, new_prefix: str) -> None:
    """Rewrite a cached path column for everything under `old_prefix` (one set-based UPDATE).
    Offered to the domains for their own columns; org uses it for its own."""
    cut = len(old_prefix) + 1
    session.execute(
        update(path_col.class_)
        .where(in_subtree(path_col, old_prefix))
        .values({path_col.key: literal(new_prefix) + func.substr(path_col, cut)})
        .execution_options(synchronize_session=False)
    )


def replace_unit(session: Session, unit_col: Any, retired_id: int, successor_id: int) -> None:
    """Point a unit-id column at the successor of a merged-away unit (one set-based UPDATE)."""
    session.execute(
        update(unit_col.class_)
        .where(unit_col == retired_id)
        .values({unit_col.key: successor_id})
        .execution_options(synchronize_session=False)
    )


def follow(session: Session, change: Any, paths: tuple[Any, ...], units: tuple[Any, ...] = ()) -> None:
    """A domain's answer to a `core.hooks.UnitChanged` for the common case: rewrite these cached path
    columns for every moved subtree, and point these unit-id columns at a merged-away unit's successor."""
    for old, new in change.moves:
        for path_col in paths:
            rewrite_paths(session, path_col, old, new)
    for retired_id, successor_id, _ in change.merged:
        for unit_col in units:
            replace_unit(session, unit_col, retired_id, successor_id)


def following(paths: tuple[Any, ...], units: tuple[Any, ...] = ()) -> Callable[[Session, Any, Any], None]:
    """`follow` over these columns as a domain's unit-change hook (`hooks.on_unit_changed(name, ...)`)."""

    def follow_units(session: Session, actor: Any, change: Any) -> None:
        follow(session, change, paths, units)

    return follow_units
