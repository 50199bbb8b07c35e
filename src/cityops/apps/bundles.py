"""Installing, upgrading and uninstalling app bundles: one transaction each, a diff first (the dry run is
the same diff without writing), idempotent, audited, and a three-way merge so an upgrade changes what the
city left as the bundle wrote it and keeps what the city edited (a deadline, a target, a rule).

The content kinds are the domains' (`hooks.bundle_kinds`, see core/bundles.py); this module knows none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.apps import ledger
from cityops.apps.bundle_files import KEY, Bundle, BundleNotFound, install_order, load, shipped_keys
from cityops.apps.models import BundleItem, InstalledBundle
from cityops.core import audit, clock
from cityops.core.actor import Actor, Role
from cityops.core.bundles import Item, KindHandler
from cityops.core.db import bulk_insert
from cityops.core.errors import Conflict, Forbidden, Invalid
from cityops.core.hooks import hooks_of
from cityops.org import service as org

ACTION_NAMES = {
    "add": ("新增", "add"),
    "change": ("更新", "change"),
    "same": ("不变", "unchanged"),
    "keep": ("保留本地修改", "keep local"),
    "remove": ("移除", "remove"),
    "retain": ("保留（仍在使用）", "retain (in use)"),
}


@dataclass
class Change:
    kind: str
    key: str
    action: str  # add | change | same | keep | remove | retain
    fields: list[str] = field(default_factory=list)  # fields the bundle changes
    kept: list[str] = field(default_factory=list)  # fields the city edited, kept
    note: str = ""


@dataclass
class Report:
    bundle: str
    name: str
    version_from: int | None
    version_to: int | None
    dry_run: bool
    changes: list[Change]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    @property
    def changed(self) -> bool:
        """Whether anything is written: kept local edits and retained items change nothing."""
        writes = any(c.action in ("add", "change", "remove") for c in self.changes)
        return writes or self.version_from != self.version_to

    def as_dict(self) -> dict[str, Any]:
        visible = [asdict(c) for c in self.changes if c.action != "same"]
        return {
            "bundle": self.bundle,
            "name": self.name,
            "version_from": self.version_from,
            "version_to": self.version_to,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "changes": visible,
        }


def require_admin(session: Session, actor: Actor) -> None:
    """Bundles change the whole city's platform: a city-level (or system) app admin installs them."""
    city = org.city(session)
    if not actor.has(Role.sysadmin, Role.app_admin) or (city is not None and not actor.sees_path(city.path)):
        raise Forbidden(
            "仅市级管理员可安装应用包 / Only city-level admins install app bundles.", code="apps.admin_required"
        )


def handlers(session: Session, bundle: Bundle) -> list[tuple[KindHandler, list[Item]]]:
    registry: dict[str, KindHandler] = hooks_of(session).bundle_kinds
    unknown = sorted(set(bundle.contents) - set(registry))
    if unknown:
        raise Invalid(
            f"未知内容类型 / unknown content kind {unknown[0]!r} (known: {', '.join(sorted(registry))})",
            field=unknown[0],
            code="apps.unknown_kind",
        )
    pairs = [(registry[k], items) for k, items in bundle.contents.items()]
    return sorted(pairs, key=lambda p: p[0].order)


def merge(new: Item, current: Item, base: Item | None) -> tuple[Item, list[str], list[str]]:
    """(what to write, fields the bundle changes, fields the city edited and keeps). Without a base (the
    item was there before this bundle) the city's version is kept as it is."""
    if base is None:
        kept = sorted(f for f in new if new.get(f) != current.get(f))
        return current, [], kept
    merged, changed, kept = dict(current), [], []
    for f in sorted(set(new) | set(base)):
        if current.get(f) == base.get(f):
            if new.get(f) != current.get(f):
                merged[f] = new.get(f)
                changed.append(f)
        elif new.get(f) != current.get(f):
            kept.append(f)
    return merged, changed, kept


def _snapshots(session: Session, key: str) -> dict[tuple[str, str], BundleItem]:
    rows = session.scalars(select(BundleItem).where(BundleItem.bundle_key == key))
    return {(r.kind, r.item_key): r for r in rows}


def _check_versions(installed: InstalledBundle | None, bundle: Bundle, upgrade: bool) -> None:
    if upgrade and installed is None:
        raise Conflict(
            f"应用包{bundle.name}尚未安装 / {bundle.key} is not installed; install it first", code="apps.not_installed"
        )
    if installed is None or installed.status == "archived":
        return
    if not upgrade and installed.version != bundle.version:
        raise Conflict(
            f"已安装{bundle.name} v{installed.version}，请用升级 / v{installed.version} is installed; upgrade instead",
            code="apps.use_upgrade",
        )
    if upgrade and bundle.version < installed.version:
        raise Conflict(f"不能降级 v{installed.version} → v{bundle.version} / no downgrades", code="apps.no_downgrade")


def _shipped_name(key: str) -> str:
    """A bundle's name for a message; the key comes from a request, so only a shipped key is looked up
    (never read as a path on disk)."""
    return load(key).name if key in shipped_keys() else key


def _check_requires(session: Session, bundle: Bundle) -> None:
    have = set(session.scalars(select(InstalledBundle.key).where(InstalledBundle.status == "installed")))
    missing = [r for r in bundle.requires if r not in have]
    if missing:
        names = "、".join(_shipped_name(r) for r in missing)
        raise Conflict(
            f"请先安装{names} / install {', '.join(missing)} first",
            code="apps.requires_missing",
            missing=missing,
        )


def apply(session: Session, actor: Actor, bundle: Bundle, *, upgrade: bool = False, dry_run: bool = False) -> Report:
    """Install (or upgrade) `bundle`; with dry_run nothing is written and the report is the diff."""
    require_admin(session, actor)
    installed = session.get(InstalledBundle, bundle.key)
    _check_versions(installed, bundle, upgrade)
    _check_requires(session, bundle)
    snaps = _snapshots(session, bundle.key)
    changes: list[Change] = []
    for handler, items in handlers(session, bundle):
        changes += _apply_kind(session, actor, bundle.key, handler, items, snaps, dry_run)
    was = installed.version if installed is not None and installed.status == "installed" else None
    report = Report(bundle.key, bundle.name, was, bundle.version, dry_run, changes)
    if dry_run or not report.changed:
        return report
    now = clock.now()
    if installed is None:
        installed = InstalledBundle(key=bundle.key, installed_at=now, installed_by=actor.username)
        session.add(installed)
    installed.version, installed.status, installed.updated_at = bundle.version, "installed", now
    installed.name, installed.source, installed.requires = bundle.name, bundle.source[:400], list(bundle.requires)
    session.flush()
    _save_snapshots(session, bundle, snaps)
    if bundle.ledger:
        ledger.register_bundle(session, actor, bundle, was)
    audit.record(
        session,
        actor,
        "apps.bundle_upgraded" if upgrade else "apps.bundle_installed",
        ("bundle", bundle.key),
        version_from=was,
        version_to=bundle.version,
        counts=report.counts,
    )
    return report


def _apply_kind(
    session: Session,
    actor: Actor,
    key: str,
    handler: KindHandler,
    items: list[Item],
    snaps: dict[tuple[str, str], BundleItem],
    dry_run: bool,
) -> list[Change]:
    keys = [handler.key(i) for i in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise Invalid(
            f"{handler.kind} 中 {dup!r} 重复 / duplicate item", field=handler.kind, code="apps.duplicate_item"
        )
    current = handler.read(session, keys)
    out: list[Change] = []
    todo: list[Item] = []
    for k, item in zip(keys, items, strict=True):
        now = current.get(k)
        base = snaps.get((handler.kind, k))
        if now is None:
            out.append(Change(handler.kind, k, "add", fields=sorted(item)))
            todo.append(item)
            continue
        merged, changed, kept = merge(item, now, base.content if base is not None else None)
        action = "change" if changed else "keep" if kept else "same"
        out.append(Change(handler.kind, k, action, fields=changed, kept=kept))
        if changed:
            todo.append(merged)
    if todo and not dry_run:
        handler.write(session, actor, todo)
    gone = [k for (kind, k) in snaps if kind == handler.kind and k not in set(keys)]
    if gone:
        in_use = handler.dependents(session, gone)
        if in_use:
            out += [Change(handler.kind, k, "retain", note="; ".join(in_use)) for k in gone]
        else:
            out += [Change(handler.kind, k, "remove") for k in gone]
            if not dry_run:
                handler.remove(session, actor, gone)
    return out


def _save_snapshots(session: Session, bundle: Bundle, snaps: dict[tuple[str, str], BundleItem]) -> None:
    registry: dict[str, KindHandler] = hooks_of(session).bundle_kinds
    wanted: set[tuple[str, str]] = set()
    fresh: list[dict[str, Any]] = []
    for kind, items in bundle.contents.items():
        for item in items:
            ident = (kind, registry[kind].key(item))
            wanted.add(ident)
            row = snaps.get(ident)
            if row is None:
                fresh.append({"bundle_key": bundle.key, "kind": kind, "item_key": ident[1], "content": item})
            elif row.content != item:
                row.content = item
    bulk_insert(session, BundleItem, fresh)  # a first install writes hundreds at once
    for ident, row in snaps.items():
        if ident not in wanted:
            session.delete(row)
    session.flush()


def dependents(session: Session, key: str) -> list[str]:
    """What live data uses the content bundle `key` wrote, in words."""
    registry: dict[str, KindHandler] = hooks_of(session).bundle_kinds
    by_kind: dict[str, list[str]] = {}
    for kind, item_key in _snapshots(session, key):
        by_kind.setdefault(kind, []).append(item_key)
    found: list[str] = []
    for kind, keys in by_kind.items():
        if kind in registry:
            found += registry[kind].dependents(session, keys)
    return found


def uninstall(session: Session, actor: Actor, key: str, *, archive: bool = False, dry_run: bool = False) -> Report:
    """Remove what the bundle wrote. Refused (409, naming it) while live data depends on it or another
    installed bundle requires it; `archive` keeps the content and retires the bundle instead."""
    require_admin(session, actor)
    # A key is a name (never sent to the database otherwise: PostgreSQL refuses a NUL in any text).
    installed = session.get(InstalledBundle, key) if KEY.fullmatch(key) else None
    if installed is None or installed.status != "installed":
        raise BundleNotFound(f"应用包{_shipped_name(key)}未安装 / bundle {key} is not installed", field="bundle")
    needed_by = _installed_requiring(session, key)
    if needed_by:
        names = "、".join(b.name or b.key for b in needed_by)
        keys = [b.key for b in needed_by]
        raise Conflict(
            f"{names} 依赖{installed.name or key}，请先卸载它们 / required by {', '.join(keys)}",
            code="apps.required_by",
            required_by=keys,
        )
    in_use = dependents(session, key)
    if in_use and not archive:
        raise Conflict(
            f"仍有数据依赖应用包{installed.name or key}，不能卸载（可先处理或选择归档）：{'；'.join(in_use[:5])}"
            f" / live data depends on bundle {key}",
            code="apps.bundle_in_use",
            dependents=in_use,
        )
    registry: dict[str, KindHandler] = hooks_of(session).bundle_kinds
    snaps = _snapshots(session, key)
    action = "retain" if archive else "remove"
    changes = [Change(kind, k, action) for kind, k in snaps]
    report = Report(key, key, installed.version, None, dry_run, changes)
    if dry_run:
        return report
    if archive:
        installed.status, installed.updated_at = "archived", clock.now()
    else:
        by_kind: dict[str, list[str]] = {}
        for kind, k in snaps:
            by_kind.setdefault(kind, []).append(k)
        for kind in sorted(by_kind, key=lambda k: -registry[k].order):
            registry[kind].remove(session, actor, by_kind[kind])
        for row in snaps.values():
            session.delete(row)
        session.delete(installed)
    session.flush()
    ledger.unregister_bundle(session, actor, key, archived=archive)
    audit.record(session, actor, "apps.bundle_uninstalled", ("bundle", key), archived=archive, items=len(snaps))
    return report


def _installed_requiring(session: Session, key: str) -> list[InstalledBundle]:
    rows = session.scalars(select(InstalledBundle).where(InstalledBundle.status == "installed"))
    return sorted((row for row in rows if key in (row.requires or [])), key=lambda row: row.key)


def install_all(session: Session, actor: Actor, keys: list[str] | None = None) -> list[Report]:
    """Install (or upgrade to) the shipped bundles, each after those it requires: what `cityops catalogue
    seed`, the demo and the test template run."""
    bundles = install_order([load(k) for k in (keys or shipped_keys())])
    reports = []
    for b in bundles:
        installed = session.get(InstalledBundle, b.key)
        upgrade = installed is not None and installed.status == "installed" and installed.version != b.version
        reports.append(apply(session, actor, b, upgrade=upgrade))
    return reports


def status(session: Session) -> list[dict[str, Any]]:
    """Every shipped bundle and every installed one, with its installed and available version."""
    installed = {b.key: b for b in session.scalars(select(InstalledBundle))}
    out = []
    for key in sorted(set(shipped_keys()) | set(installed)):
        row = installed.get(key)
        try:
            b: Bundle | None = load(key)
        except BundleNotFound:
            b = None
        out.append(
            {
                "key": key,
                "name": b.name if b else (row.name if row else key),
                "name_en": str(b.meta.get("name_en") or "") if b else "",
                "available": b.version if b else None,
                "installed": row.version if row else None,
                "status": row.status if row else "available",
                "requires": list(b.requires) if b else [],
                "kinds": {k: len(v) for k, v in b.contents.items()} if b else {},
            }
        )
    return out
