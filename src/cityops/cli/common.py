"""What every `cityops` command shares: the console and opening the configured database."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from cityops.core.settings import Settings

console = Console()


def open_database(settings: Settings) -> tuple[Any, Any]:
    """(engine, session factory) for the configured database, with its pool sizes and the platform's hooks."""
    from cityops import models  # noqa: F401
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    engine = make_engine(settings.database_url, **settings.engine_options())
    return engine, session_factory(engine, settings)
