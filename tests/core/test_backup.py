"""Backup and restore round trip on the configured backend, and the security headers on every response."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cityops.cli.main import app as cli
from cityops.core.actor import Role
from cityops.core.auth import User
from tests.factories import make_user


def test_backup_and_restore_round_trip(
    db_url: str, engine: Engine, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    make_user(factory, "before_backup", [Role.handler], unit_code="500103")
    runner, env = CliRunner(), {"CITYOPS_DATABASE_URL": db_url}
    target = tmp_path / "cityops.backup"
    out = runner.invoke(cli, ["backup", str(target)], env=env)
    assert out.exit_code == 0, out.output
    assert target.stat().st_size > 0
    make_user(factory, "after_backup", [Role.handler], unit_code="500103")
    engine.dispose()
    out = runner.invoke(cli, ["restore", str(target)], env=env)
    assert out.exit_code == 0, out.output
    engine.dispose()
    with factory() as s:
        names = set(s.scalars(select(User.username)))
        assert "before_backup" in names and "after_backup" not in names
        assert (s.scalar(select(func.count()).select_from(text("org_unit"))) or 0) > 23_000  # the tree is back whole
    verify = runner.invoke(cli, ["audit", "verify"], env=env)
    assert verify.exit_code == 0, verify.output


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert client.get("/api/health").headers["X-Content-Type-Options"] == "nosniff"
