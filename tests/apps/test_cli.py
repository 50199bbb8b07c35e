"""`cityops apps` on the worked example of docs/bundles.md: a dry run lists the diff and writes nothing,
install enters it in the ledger with its national fields, list shows it, uninstall removes it again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cityops.apps.models import App
from cityops.cli.main import app as cli
from cityops.core.db import session_scope
from cityops.events.models import Category
from cityops.grid.form_models import FormField

EXAMPLE = str(Path(__file__).parents[2] / "docs" / "examples" / "night_market")


def test_the_worked_example_installs_and_uninstalls_from_the_command_line(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    env = {"CITYOPS_DATABASE_URL": db_url, "COLUMNS": "200"}
    dry = CliRunner().invoke(cli, ["apps", "install", EXAMPLE, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "试运行" in dry.output and "新增" in dry.output and "city_appearance.night_market" in dry.output
    with session_scope(factory) as s:
        assert s.scalars(select(Category).where(Category.code == "city_appearance.night_market")).first() is None
    done = CliRunner().invoke(cli, ["apps", "install", EXAMPLE], env=env)
    assert done.exit_code == 0, done.output
    with session_scope(factory) as s:
        cat = s.scalars(select(Category).where(Category.code == "city_appearance.night_market")).one()
        assert cat.family == "市容环境" and "夜市" in cat.keywords
        assert s.scalars(select(FormField.name).where(FormField.code == "night_market_stalls")).one() == "夜市摊位数"
        entry = s.scalars(select(App).where(App.code == "night_market")).one()
        assert (entry.family, entry.security_level, entry.status) == ("society", "二级", "listed")
        assert str(entry.launched_on) == "2026-01-15"
    needed = CliRunner().invoke(cli, ["apps", "uninstall", "minhu"], env=env)
    assert needed.exit_code == 1 and "night_market" in needed.output  # a city's own bundle requires it
    listed = CliRunner().invoke(cli, ["apps", "list"], env=env)
    assert listed.exit_code == 0 and "night_market" in listed.output
    gone = CliRunner().invoke(cli, ["apps", "uninstall", "night_market"], env=env)
    assert gone.exit_code == 0, gone.output
    with session_scope(factory) as s:
        assert s.scalars(select(Category).where(Category.code == "city_appearance.night_market")).first() is None
        assert s.scalars(select(App.status).where(App.code == "night_market")).one() == "catalogued"
    refused = CliRunner().invoke(cli, ["apps", "uninstall", "minhu"], env=env)
    assert refused.exit_code == 1 and "依赖" in refused.output
