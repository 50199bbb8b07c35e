"""Foundation: migrations, health, login, audit chain, request transactions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cityops.cli.main import app as cli
from cityops.core import audit
from cityops.core.actor import Role, system_actor
from cityops.core.auth import ApiToken
from cityops.core.db import make_engine, session_scope
from cityops.core.migrate import check, upgrade
from tests.conftest import IS_PG
from tests.factories import PASSWORD, login, make_user


def test_migrations_reach_head_on_empty_database_without_drift(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)  # already at head: a no-op that must not fail
    check(engine)  # raises if the models and the migrated schema differ
    with engine.connect() as c:
        assert c.execute(text("SELECT seq, hash FROM audit_head")).one() == (0, "0" * 64)
    engine.dispose()


def test_health_reports_version_and_backend(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": "0.1.0", "database": "postgresql" if IS_PG else "sqlite"}


def test_wrong_password_is_refused_without_token(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "duty1", [Role.dispatcher], unit_code="500103")
    r = client.post("/api/auth/login", json={"username": "duty1", "password": "not-the-password1"})
    assert r.status_code == 401
    assert r.json()["error"] == "LoginFailed"
    assert "token" not in r.json() and "cityops_session" not in r.cookies
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "whatever123"})
    assert unknown.status_code == 401 and unknown.json() == r.json()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_login_returns_token_and_session_cookie(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "duty2", [Role.dispatcher, Role.leader], unit_code="500103")
    r = client.post("/api/auth/login", json={"username": "duty2", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["actor"]["roles"] == ["dispatcher", "leader"] and body["actor"]["unit_level"] == "district"
    assert "cityops_session" in r.cookies
    me = client.get("/api/auth/me")  # the cookie alone authenticates
    assert me.status_code == 200 and me.json()["username"] == "duty2"
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/auth/me", headers=bearer).json()["username"] == "duty2"
    assert client.post("/api/auth/logout", headers=bearer).status_code == 204
    assert client.get("/api/auth/me", headers=bearer).status_code == 401


def test_repeated_wrong_passwords_lock_the_account(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "duty3", [Role.handler], unit_code="500103")
    codes = [
        client.post("/api/auth/login", json={"username": "duty3", "password": "wrong-pass-1"}).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    locked = client.post("/api/auth/login", json={"username": "duty3", "password": PASSWORD})
    assert locked.status_code == 429 and "Retry-After" in locked.headers


def test_validation_error_names_the_field(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["error"] == "ValidationError" and r.json()["data"]["field"] == "password"
    r = client.post("/api/auth/login", json={"username": "x", "password": "y", "extra": 1})
    assert r.status_code == 422 and r.json()["data"]["field"] == "extra"


def test_weak_password_is_refused(client: TestClient, factory: sessionmaker[Session]) -> None:
    admin = login(client, factory, "root1", [Role.sysadmin], unit_code="500000")
    r = client.post(
        "/api/users",
        headers=admin.headers,
        json={"username": "weak", "password": "short", "roles": ["handler"]},
    )
    assert r.status_code == 422 and r.json()["data"]["field"] == "password"
    ok = client.post(
        "/api/users",
        headers=admin.headers,
        json={"username": "strong", "password": "Longenough42", "roles": ["handler"]},
    )
    assert ok.status_code == 201


def test_only_sysadmin_creates_users(client: TestClient, factory: sessionmaker[Session]) -> None:
    auditor = login(client, factory, "aud1", [Role.auditor], unit_code="500000")
    r = client.post(
        "/api/users",
        headers=auditor.headers,
        json={"username": "x1", "password": "Longenough42", "roles": ["handler"]},
    )
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"


def test_failed_commit_returns_error_not_success(client: TestClient, factory: sessionmaker[Session]) -> None:
    make_user(factory, "duty4", [Role.dispatcher], unit_code="500103")
    app_factory = client.app.state.sessionmaker  # type: ignore[attr-defined]

    def refuse(session: Session) -> None:
        raise RuntimeError("disk full")

    event.listen(app_factory, "before_commit", refuse)
    try:
        r = client.post("/api/auth/login", json={"username": "duty4", "password": PASSWORD})
    finally:
        event.remove(app_factory, "before_commit", refuse)
    assert r.status_code >= 500 and "token" not in r.json()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_audit_chain_verifies_and_names_an_edited_entry(
    engine: Engine, factory: sessionmaker[Session], db_url: str, monkeypatch: object
) -> None:
    actor = system_actor("system:test")
    for i in range(5):
        with session_scope(factory) as s:
            audit.record(s, actor, "test.step", ("thing", i), n=i)
    with session_scope(factory) as s:
        audit.sequence(s)
    runner = CliRunner()
    env = {"CITYOPS_DATABASE_URL": db_url}
    ok = runner.invoke(cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "audit chain intact" in ok.output
    with factory() as s:
        target = s.scalar(select(audit.AuditEntry.seq).where(audit.AuditEntry.subject_id == "3"))
    with engine.begin() as c:
        c.execute(text("UPDATE audit_entry SET data = :d WHERE seq = :s"), {"d": '{"n": 99}', "s": target})
    bad = runner.invoke(cli, ["audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert f"seq={target}" in bad.output and "altered" in bad.output


def test_audit_entries_are_written_with_the_change_or_not_at_all(factory: sessionmaker[Session]) -> None:
    actor = system_actor("system:test")
    with session_scope(factory) as s:
        audit.sequence(s)
        before = s.scalar(select(func.count()).select_from(audit.AuditEntry)) or 0
    try:
        with session_scope(factory) as s:
            audit.record(s, actor, "test.rolled_back")
            raise ValueError("the change failed")
    except ValueError:
        pass
    with session_scope(factory) as s:
        audit.record(s, actor, "test.kept")
    with session_scope(factory) as s:
        audit.sequence(s)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(audit.AuditEntry)) == before + 1
        assert audit.verify(s).ok


def test_writers_queue_audit_entries_and_the_sequencer_chains_them_in_order(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    """No writer touches a shared row: entries wait in the queue; a late-committing transaction's entry
    is chained by a later batch, never skipped; a copied checkpoint proves the chain was not rewritten."""
    actor = system_actor("system:test")
    late = factory()
    late.connection()  # a transaction that began first …
    audit.record(late, actor, "test.late")
    if engine.dialect.name == "sqlite":  # one writer at a time (an entry makes its session one): it goes first
        late.commit()
    with session_scope(factory) as s:
        audit.record(s, actor, "test.early")
    with session_scope(factory) as s:
        assert audit.sequence(s) >= 1
        chained = [a for (a,) in s.execute(select(audit.AuditEntry.action).order_by(audit.AuditEntry.seq))]
    assert "test.early" in chained
    if engine.dialect.name != "sqlite":
        assert "test.late" not in chained  # … and commits after the batch
        late.commit()
    late.close()
    with session_scope(factory) as s:
        audit.sequence(s)
        cp = audit.latest_checkpoint(s)
        assert cp is not None
        chained = [a for (a,) in s.execute(select(audit.AuditEntry.action).order_by(audit.AuditEntry.seq))]
        assert chained.count("test.late") == 1 and chained.count("test.early") == 1
        assert audit.waiting(s) == 0
        assert audit.verify(s, checkpoint=(cp.seq, cp.hash)).ok
    # Someone who can rewrite the database recomputes the whole chain after changing an entry: the chain
    # verifies on its own, but not against the checkpoint copied before.
    with session_scope(factory) as s:
        rows = s.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
        rows[0].data = '{"forged": true}'
        prev = audit.GENESIS
        for row in rows:
            e = {f: getattr(row, f) for f in audit.ENTRY_FIELDS}
            row.prev_hash, row.hash = prev, audit._digest(row.seq, e, prev)
            prev = row.hash
        s.execute(update(audit.AuditHead).values(hash=prev))
        s.execute(delete(audit.AuditCheckpoint))
    with factory() as s:
        assert audit.verify(s).ok
        forged = audit.verify(s, checkpoint=(cp.seq, cp.hash))
        assert not forged.ok and forged.broken_seq == cp.seq and "rewritten" in forged.reason
