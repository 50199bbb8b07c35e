"""`cityops apps …`: list, install, upgrade and uninstall app bundles (a shipped key or a folder)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.settings import Settings

apps_app = typer.Typer(help="App bundles (应用包) and the application ledger.", no_args_is_help=True)
console = Console()
DryRun = Annotated[bool, typer.Option("--dry-run", help="show the diff, change nothing")]
Source = Annotated[str, typer.Argument(help="a shipped bundle key (cityops apps list) or a bundle folder")]


def _session() -> sessionmaker[Session]:
    from cityops import models  # noqa: F401
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    settings = Settings()
    return session_factory(make_engine(settings.database_url), settings)


def _print(report: dict[str, Any]) -> None:
    head = f"{report['name']} ({report['bundle']}): v{report['version_from'] or '—'} → v{report['version_to'] or '—'}"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report["counts"].items())) or "nothing"
    console.print(f"[bold]{head}[/bold]{' (试运行 dry run)' if report['dry_run'] else ''}: {counts}")
    from cityops.apps.bundles import ACTION_NAMES

    for c in report["changes"][:200]:
        extra = f" fields: {', '.join(c['fields'])}" if c["fields"] and c["action"] == "change" else ""
        extra += f" kept local: {', '.join(c['kept'])}" if c["kept"] else ""
        extra += f" ({c['note']})" if c["note"] else ""
        console.print(f"  {ACTION_NAMES[c['action']][0]:<8} {c['kind']:<18} {c['key']}{extra}")
    if len(report["changes"]) > 200:
        console.print(f"  … and {len(report['changes']) - 200} more")


def _run(fn: Any) -> None:
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope
    from cityops.core.errors import CityOpsError

    try:
        with session_scope(_session()) as s:
            for report in fn(s, system_actor("system:cli")):
                _print(report.as_dict())
    except CityOpsError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        for line in (exc.data or {}).get("dependents", []):
            console.print(f"  - {line}")
        raise typer.Exit(1) from None


@apps_app.command("list")
def list_bundles() -> None:
    """The shipped and installed bundles with their versions."""
    from cityops.apps.bundles import status
    from cityops.core.db import session_scope

    table = Table(title="应用包 / app bundles")
    for col in ("key", "name", "installed", "available", "status", "content"):
        table.add_column(col)
    with session_scope(_session()) as s:
        for b in status(s):
            content = ", ".join(f"{k} {n}" for k, n in b["kinds"].items())
            table.add_row(
                b["key"], b["name"], str(b["installed"] or "—"), str(b["available"] or "—"), b["status"], content
            )
    console.print(table)


@apps_app.command("install")
def install(source: Source, dry_run: DryRun = False) -> None:
    """Install a bundle in one transaction (installing it again changes nothing)."""
    from cityops.apps.bundle_files import load
    from cityops.apps.bundles import apply

    _run(lambda s, a: [apply(s, a, load(source), dry_run=dry_run)])


@apps_app.command("upgrade")
def upgrade(source: Source, dry_run: DryRun = False) -> None:
    """Upgrade an installed bundle; what the city edited (deadlines, targets, rules, overrides) is kept."""
    from cityops.apps.bundle_files import load
    from cityops.apps.bundles import apply

    _run(lambda s, a: [apply(s, a, load(source), upgrade=True, dry_run=dry_run)])


@apps_app.command("uninstall")
def uninstall(
    key: Annotated[str, typer.Argument(help="an installed bundle's key")],
    dry_run: DryRun = False,
    archive: Annotated[bool, typer.Option("--archive", help="keep the content, retire the bundle")] = False,
) -> None:
    """Remove what the bundle installed; refused while live data depends on it (unless --archive)."""
    from cityops.apps.bundles import uninstall as run

    _run(lambda s, a: [run(s, a, key, archive=archive, dry_run=dry_run)])


@apps_app.command("install-all")
def install_all() -> None:
    """Install (or upgrade to) every shipped bundle, each after those it requires."""
    from cityops.apps.bundles import install_all as run

    _run(run)
