"""`cityops org …`: load the Chongqing org tree (idempotent) and count it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cityops.cli.common import console, open_database
from cityops.core.settings import Settings

org_app = typer.Typer(help="Org tree and geography.", no_args_is_help=True)


@org_app.command("import")
def org_import(
    region: Annotated[str, typer.Argument(help="only 'chongqing' ships with cityops")] = "chongqing",
    grids: Annotated[int | None, typer.Option(help="grids generated per community")] = None,
) -> None:
    """Load the real hierarchy (NBS 2023), district polygons, departments and centres. Idempotent."""
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope
    from cityops.org.loader import import_chongqing

    if region != "chongqing":
        raise typer.BadParameter("only 'chongqing' is available", param_hint="REGION")
    settings = Settings()
    _, factory = open_database(settings)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("导入 / importing", total=5)

        def tick(label: str, n: int) -> None:
            bar.update(task, advance=1, description=f"{label}: {n:,}")

        with session_scope(factory) as s:
            report = import_chongqing(
                s,
                system_actor("system:import"),
                grids_per_community=settings.grids_per_community if grids is None else grids,
                zones_file=settings.special_zones_file,
                progress=tick,
            )
    console.print(
        f"inserted {report.inserted}; departments +{report.departments}; centres +{report.centres}; "
        f"polygons +{report.geometries}"
    )


@org_app.command("stats")
def org_stats() -> None:
    """Counts of units and centres per level."""
    from cityops.core.db import session_scope
    from cityops.org import service
    from cityops.org.models import LEVEL_NAMES

    _, factory = open_database(Settings())
    with session_scope(factory, write=False) as s:
        units, centres = service.counts_by_level(s), service.centre_counts(s)
    table = Table(title="重庆市 org tree")
    table.add_column("level")
    table.add_column("units", justify="right")
    table.add_column("centres", justify="right")
    for level, label in LEVEL_NAMES.items():
        table.add_row(f"{label} {level}", f"{units.get(level, 0):,}", f"{centres.get(level, 0):,}")
    console.print(table)
