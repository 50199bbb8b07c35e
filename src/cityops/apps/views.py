"""Read models of the ledger for the API and the pages (web never imports apps.api)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.apps import bundle_files, figures, ledger, usage
from cityops.apps.models import App, AppMenuEntry, BundleItem, InstalledBundle
from cityops.apps.schemas import AppDetail, AppRead, DeploymentRead, LevelUseRead, StatusLogRead, UsageRead
from cityops.core import clock
from cityops.core.actor import Actor
from cityops.core.hooks import hooks_of
from cityops.org.defaults import DEPARTMENTS


def read_app(app: App) -> AppRead:
    r = AppRead.model_validate(app)
    r.status_name = ledger.STATUS_NAMES.get(app.status, (app.status, app.status))[0]
    return r


def ledger_figures(session: Session) -> dict[str, int]:
    return {s: figures.count(session, s) for s in ledger.STATUSES}


def read_usage(actor: Actor, use: usage.Usage) -> UsageRead:
    levels = []
    for lvl in usage.LEVELS:
        lu = use.levels[lvl]
        units = [
            {"unit_id": uid, "name": name, "uses": n}
            for uid, (name, path, n) in sorted(lu.units.items(), key=lambda kv: -kv[1][2])
            if actor.sees_path(path)
        ]
        levels.append(LevelUseRead(level=lvl, uses=lu.count, units=units[:50]))
    return UsageRead(since=use.since, until=use.until, connected=use.connected, missing=use.missing(), levels=levels)


def content_counts(session: Session, app: App) -> dict[str, int]:
    rows = session.execute(
        select(BundleItem.kind, func.count(BundleItem.id))
        .where(BundleItem.bundle_key == app.code)
        .group_by(BundleItem.kind)
    ).all()
    return {k: int(n) for k, n in rows}


def menu_of(session: Session, app: App) -> list[dict[str, str]]:
    codes = select(BundleItem.item_key).where(BundleItem.bundle_key == app.code, BundleItem.kind == "menu")
    rows = session.scalars(select(AppMenuEntry).where(AppMenuEntry.code.in_(codes)).order_by(AppMenuEntry.id))
    return [{"code": m.code, "label": m.label, "label_en": m.label_en, "url": m.url} for m in rows]


def detail(session: Session, actor: Actor, app: App, *, days: int = 30) -> AppDetail:
    deps = [
        DeploymentRead(
            id=d.id,
            unit_id=d.unit_id,
            unit_name=u.name,
            level=d.level,
            deployed_at=d.deployed_at,
            deployed_by=d.deployed_by,
        )
        for d, u in ledger.deployments(session, actor, app)
    ]
    return AppDetail(
        app=read_app(app),
        history=[StatusLogRead.model_validate(h) for h in ledger.history(session, app)],
        deployments=deps,
        usage=read_usage(actor, usage.usage(session, app, since=clock.now() - timedelta(days=days))),
        allowed_actions=ledger.allowed_actions(session, app, actor),
        menu=menu_of(session, app),
        content=content_counts(session, app),
    )


def names(session: Session) -> dict[str, Any]:
    """Every name a ledger page shows instead of a code (Chinese, English)."""
    return {
        "statuses": ledger.STATUS_NAMES,
        "families": ledger.FAMILIES,
        "levels": ledger.LEVELS,
        "actions": ledger.ACTION_NAMES,
        "kinds": {k: (h.label, h.label_en) for k, h in hooks_of(session).bundle_kinds.items()},
        "departments": {d.code: (d.short_name, d.code.replace("_", " ")) for d in DEPARTMENTS},
        "bundles": bundle_names(session),
    }


def bundle_names(session: Session) -> dict[str, tuple[str, str]]:
    """The installed bundles' names (an app's bundle is shown by name, never by key)."""
    return {
        key: (name or key, _shipped_name_en(key) or name or key)
        for key, name in session.execute(select(InstalledBundle.key, InstalledBundle.name))
    }


@lru_cache(maxsize=64)
def _shipped_name_en(key: str) -> str:
    """A shipped bundle's English name (files in the package: read once per process)."""
    if key not in bundle_files.shipped_keys():
        return ""
    return str(bundle_files.load_shipped(key).meta.get("name_en") or "")
