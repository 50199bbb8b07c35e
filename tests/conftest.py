"""A fresh database per test, cloned from a migrated template (SQLite file copy, or PostgreSQL
CREATE DATABASE … TEMPLATE). CI runs the suite twice: SQLite, then PostgreSQL
(CITYOPS_TEST_DATABASE_URL names a PostgreSQL server; its database part is the admin database).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cityops import models  # noqa: F401
from cityops.app import create_app
from cityops.apps.bundles import install_all
from cityops.core import audit, clock
from cityops.core.actor import system_actor
from cityops.core.db import make_engine, session_scope
from cityops.core.migrate import upgrade
from cityops.core.settings import Settings
from cityops.org.loader import import_chongqing
from cityops.runtime import session_factory

PG_ADMIN_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")
IS_PG = PG_ADMIN_URL.startswith("postgresql")


class Templates:
    """Builds each template once per test session, then clones it per test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.built: dict[str, str] = {}
        self.run_id = uuid.uuid4().hex[:8]
        self.admin: Engine | None = None
        if IS_PG:
            self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1, pool_pre_ping=True)

    def _pg_url(self, dbname: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=dbname).render_as_string(hide_password=False)

    def _create_pg(self, name: str, template: str | None = None) -> str:
        assert self.admin is not None
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        return self._pg_url(name)

    def template(self, kind: str) -> str:
        if kind in self.built:
            return self.built[kind]
        if IS_PG:
            name = f"cityops_tpl_{kind}_{self.run_id}"
            url = self._create_pg(name)
        else:
            name = str(self.tmp / f"template_{kind}.db")
            url = f"sqlite:///{name}"
        engine = make_engine(url)
        upgrade(engine)
        if kind == "chongqing":
            with session_scope(session_factory(engine)) as s:
                import_chongqing(s, system_actor("system:test"), grids_per_community=1)
                install_all(s, system_actor("system:test"))  # every shipped app bundle
            with session_scope(session_factory(engine)) as s:
                while audit.sequence(s):  # the template's own entries are chained, as a worker would
                    pass
        engine.dispose()
        self.built[kind] = name
        return name

    def clone(self, kind: str) -> str:
        source = self.template(kind)
        if IS_PG:
            return self._create_pg(f"cityops_t_{uuid.uuid4().hex[:12]}", source)
        target = self.tmp / f"test_{uuid.uuid4().hex[:12]}.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if IS_PG and self.admin is not None:
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        else:
            path = Path(make_url(url).database or "")
            for suffix in ("", "-wal", "-shm", "-writers"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as c:
                for name in self.built.values():
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("db"))
    yield t
    t.close()


def _database(templates: Templates, kind: str) -> Iterator[str]:
    url = templates.clone(kind)
    yield url
    templates.drop(url)


@pytest.fixture
def empty_url(templates: Templates) -> Iterator[str]:
    """A migrated database with no data."""
    yield from _database(templates, "empty")


@pytest.fixture
def db_url(templates: Templates) -> Iterator[str]:
    """A migrated database holding the Chongqing org tree (one grid per community)."""
    yield from _database(templates, "chongqing")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine, settings: Settings) -> sessionmaker[Session]:
    """Sessions as the worker and the CLI open them (their own hooks, the test's settings)."""
    return session_factory(engine, settings)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    s = factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(env="test", database_url=db_url)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """Freeze time at a Monday morning in Chongqing (02:00 UTC = 10:00 CST)."""
    fc = clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    yield fc
    clock.set_source(None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(db_url: str) -> Iterator[str]:
    port = _free_port()
    app = create_app(Settings(env="test", database_url=db_url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    """Each test has its own database: drop every in-process cache built from another one."""
    from cityops.core.cache import invalidate_all

    invalidate_all()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the README's test command installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
