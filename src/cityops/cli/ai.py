"""`cityops ai …`: score a file of texts with the live model (or the keyword fallback), train a version."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.settings import Settings

ai_app = typer.Typer(help="AI assistance: classify texts, train a model version.", no_args_is_help=True)
err = Console(stderr=True)


def _factory() -> sessionmaker[Session]:
    from cityops import models  # noqa: F401
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    settings = Settings()
    return session_factory(make_engine(settings.database_url), settings)


@ai_app.command("classify")
def classify(
    file: Annotated[Path, typer.Argument(help="CSV (text or title/description/address columns) or JSON lines")],
    out: Annotated[Path | None, typer.Option(help="write the CSV here instead of standard output")] = None,
) -> None:
    """Each text's top-3 category codes with scores, as CSV."""
    from cityops.ai import batch
    from cityops.core.db import session_scope
    from cityops.core.errors import CityOpsError

    with session_scope(_factory(), write=False) as s:
        try:
            rows = batch.classify_rows(s, batch.read_rows(file))
            if out is None:
                n = batch.write_csv(rows, sys.stdout)
            else:
                with out.open("w", encoding="utf-8", newline="") as f:
                    n = batch.write_csv(rows, f)
        except CityOpsError as exc:
            err.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from None
    err.print(f"{n} rows classified" + (f", written to {out}" if out else ""))


@ai_app.command("train")
def train(activate: Annotated[bool, typer.Option(help="make the new version live")] = False) -> None:
    """Train a version on the closed events now and print its evaluation."""
    from cityops.ai import service, training
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope

    actor = system_actor("system:cli")
    with session_scope(_factory()) as s:
        row = training.train_version(s, actor, note="命令行 / cli")
        if activate:
            service.activate(s, actor, row)
        err.print(f"{row.version}: {training.figures_text(row)}" + ("（已启用）" if activate else ""))
