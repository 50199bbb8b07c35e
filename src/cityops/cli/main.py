"""The `cityops` command: serve, worker, simulate, db, user, backup/restore, catalogue, plans, ingest; the audit
and org groups are in cli/audit.py and cli/org.py, ai, apps and bench in their own modules."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn

from cityops.cli.ai import ai_app
from cityops.cli.apps import apps_app
from cityops.cli.audit import audit_app
from cityops.cli.bench import bench_app
from cityops.cli.common import console, open_database
from cityops.cli.demo import demo
from cityops.cli.org import org_app
from cityops.core.settings import Settings

app = typer.Typer(
    help="cityops — 城市运行和治理平台 / city operation and governance platform",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff users.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Event catalogue and duty lists.", no_args_is_help=True)
ingest_app = typer.Typer(help="Sensor reading ingest.", no_args_is_help=True)
plans_app = typer.Typer(help="Contingency plans (预案): YAML import and export.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(org_app, name="org")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(ingest_app, name="ingest")
app.add_typer(plans_app, name="plans")
app.command("demo")(demo)
app.add_typer(bench_app, name="bench")
app.add_typer(ai_app, name="ai")
app.add_typer(apps_app, name="apps")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database (CITYOPS_DATABASE_URL) to the latest schema."""
    from cityops.core.migrate import upgrade

    settings = Settings()
    engine, _ = open_database(settings)
    upgrade(engine, revision)
    console.print(f"[green]database at {revision}[/green] ({settings.backend})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    migrate: Annotated[bool, typer.Option(help="run migrations first")] = True,
    workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    settings = Settings()
    if migrate:
        db_upgrade()
    console.print(f"cityops at http://{host or settings.host}:{port or settings.port}  (API docs: /docs)")
    uvicorn.run(
        "cityops.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        timeout_keep_alive=settings.keepalive_seconds,
        log_level="warning",
    )


@app.command()
def simulate(
    days: Annotated[int, typer.Option(help="simulated days, ending today", min=1, max=3660)] = 365,
    scale: Annotated[
        str, typer.Option(help="'chongqing' (4.9 million matters a year) or a fraction of it")
    ] = "chongqing",
    batch: Annotated[int, typer.Option(help="reports per intake transaction", min=100, max=50_000)] = 5000,
) -> None:
    """Headless: a year of grassroots matters at the reports' volume through the intake service, closed by
    simulated handlers; prints throughput and the resulting city figures (CITYOPS_DATABASE_URL)."""
    import time as _time

    from rich.progress import MofNCompleteColumn, TimeRemainingColumn

    from cityops.apps.bundles import install_all
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope
    from cityops.core.migrate import upgrade
    from cityops.org.loader import import_chongqing
    from cityops.sim.headless import PER_DAY_CHONGQING, YearRun, city_figures

    factor = 1.0 if scale == "chongqing" else float(scale)
    settings = Settings()
    engine, factory = open_database(settings)
    upgrade(engine)
    with session_scope(factory) as s:
        import_chongqing(s, system_actor("system:simulate"), grids_per_community=settings.grids_per_community)
        install_all(s, system_actor("system:simulate"), ["minhu"])
    total = int(PER_DAY_CHONGQING * factor * days)
    console.print(f"simulating {days} days ≈ {total:,} matters into {settings.backend} ({settings.database_url})")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    started = _time.time()
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("上报事件 / reports", total=total)
        run = YearRun(factory, scale=factor, batch=batch)
        stats = run.run(days, progress=lambda n, _day_total: bar.advance(task, n))
    from datetime import UTC, datetime, timedelta

    until = datetime.now(UTC)
    figures, stored = city_figures(factory, until - timedelta(days=days + 1), until)
    console.print(
        f"received {stats.received:,} matters in {stats.seconds:,.0f} s ({stats.per_second:,.0f} events/s through "
        f"intake, closures and sweeps included); rejected {stats.rejected:,}; closed {stats.closed:,}; "
        f"went overdue {stats.overdue:,}"
    )
    console.print(
        f"city figures: received {figures.received:,}, closed {figures.closed:,}, on-time rate "
        f"{figures.on_time_rate}, satisfaction {figures.satisfaction_rate}, open {figures.open:,}, "
        f"overdue {figures.overdue:,}; events stored {stored:,}; wall time {_time.time() - started:,.0f} s"
    )


@app.command()
def worker(once: Annotated[bool, typer.Option(help="one pass, then exit")] = False) -> None:
    """Run periodic jobs, queued jobs and outbox deliveries until stopped."""
    from cityops.core.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings()
    _, factory = open_database(settings)
    w = Worker(factory, lease_seconds=settings.lease_seconds, max_attempts=settings.outbox_max_attempts)
    if once:
        w.ensure_schedules()
        done = w.tick()
        console.print(f"did {done} units of work")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    w.run_forever(stop, poll_seconds=settings.worker_poll_seconds)


@user_app.command("create")
def user_create(
    username: str,
    roles: Annotated[str, typer.Option(help="comma-separated roles, e.g. dispatcher,leader")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    unit_code: Annotated[str, typer.Option(help="NBS code of the user's org unit, e.g. 500103")] = "",
    display_name: str = "",
) -> None:
    """Create a staff user."""
    from cityops.core.actor import Role, system_actor
    from cityops.core.auth import create_user
    from cityops.core.db import session_scope
    from cityops.core.errors import CityOpsError
    from cityops.org import service as org_service

    settings = Settings()
    _, factory = open_database(settings)
    try:
        with session_scope(factory) as s:
            unit_id = None
            if unit_code:
                unit = org_service.get_by_code(s, unit_code)
                if unit is None:
                    raise typer.BadParameter(f"no org unit with code {unit_code}", param_hint="--unit-code")
                unit_id = unit.id
            user = create_user(
                s,
                system_actor("system:cli"),
                username=username,
                password=password,
                roles=[Role(r.strip()) for r in roles.split(",") if r.strip()],
                display_name=display_name,
                unit_id=unit_id,
            )
            console.print(f"created user {user.username} (id {user.id})")
    except (CityOpsError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command("backup")
def backup_cmd(target: Annotated[Path, typer.Argument(help="backup file to write")]) -> None:
    """Back up the database (SQLite online backup; pg_dump -Fc for PostgreSQL) and, with the local file
    store, the uploaded photos beside it (<target>.files.tar.gz)."""
    from cityops.core.backup import backup, backup_files

    settings = Settings()
    path = backup(settings.database_url, target)
    console.print(f"backup written to {path} ({path.stat().st_size:,} bytes)")
    if settings.file_store == "local":
        archive = backup_files(Path(settings.files_dir), target)
        console.print(f"photos written to {archive}" if archive else "no uploaded photos to back up")
    else:
        console.print("photos live in the configured file store: back it up by its own means")


@app.command("restore")
def restore_cmd(source: Annotated[Path, typer.Argument(help="backup file to restore")]) -> None:
    """Restore a backup over the configured database (stop the server and workers first)."""
    from cityops.core.backup import restore, restore_files

    settings = Settings()
    restore(settings.database_url, source)
    console.print(f"restored {source}")
    if settings.file_store == "local" and restore_files(Path(settings.files_dir), source):
        console.print(f"photos restored to {settings.files_dir}")


@catalogue_app.command("seed")
def catalogue_seed() -> None:
    """Install every shipped app bundle (the event catalogue and duties, device types, plans, indicators, risk
    categories); what is installed already is left as it is. `cityops apps` installs them one by one."""
    from cityops.apps.bundles import install_all
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope

    _, factory = open_database(Settings())
    with session_scope(factory) as s:
        reports = install_all(s, system_actor("system:seed"))
    for r in reports:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()))
        console.print(f"{r.name} ({r.bundle}) v{r.version_to}: {counts}")


@plans_app.command("import")
def plans_import(
    path: Annotated[Path, typer.Argument(help="YAML file: plans: [{key, unit, name, trigger, steps}]")],
) -> None:
    """Create or change plan configurations from YAML (city templates first, then overrides)."""
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope
    from cityops.plans import service, spec

    _, factory = open_database(Settings())
    with session_scope(factory) as s:
        result = service.import_items(s, system_actor("system:cli"), spec.load_yaml(path.read_text(encoding="utf-8")))
    console.print(f"created {result['created']}, changed {result['changed']}, unchanged {result['unchanged']}")
    for err in result["errors"]:
        console.print(f"[red]#{err['index']} {err['key']}: {err['field']}: {err['reason']}[/red]")
    if result["errors"]:
        raise typer.Exit(1)


@plans_app.command("export")
def plans_export(key: Annotated[str | None, typer.Option(help="only this plan")] = None) -> None:
    """Print every plan configuration as YAML (what `cityops plans import` reads)."""
    from cityops.core.actor import system_actor
    from cityops.core.db import session_scope
    from cityops.plans import service, spec

    _, factory = open_database(Settings())
    with session_scope(factory) as s:
        typer.echo(spec.dump_yaml(service.export(s, system_actor("system:cli"), key)), nl=False)


@ingest_app.command("mqtt")
def ingest_mqtt(
    url: Annotated[str, typer.Option(help="broker, e.g. mqtt://127.0.0.1:1883")] = "mqtt://127.0.0.1:1883",
    topic: Annotated[str, typer.Option(help="topic filter; $share/<group>/… to split load across workers")] = (
        "cityops/readings/#"
    ),
    qos: Annotated[int, typer.Option(min=0, max=1)] = 1,
    worker: Annotated[int | None, typer.Option(help="split stream: this worker's number (0-based)")] = None,
    workers: Annotated[int, typer.Option(help="split stream: how many ingest workers share it")] = 1,
) -> None:
    """Subscribe to readings over MQTT and ingest them in batches (reconnects by itself). With --worker,
    take this worker's device buckets through shared subscriptions on a persistent session."""
    from cityops.sensing.mqtt import MqttIngest, worker_topics

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _, factory = open_database(Settings())
    if worker is None:
        subscriber = MqttIngest(factory, url, topic, qos=qos)
    else:
        topics = worker_topics(worker, workers)
        subscriber = MqttIngest(factory, url, topics, qos=qos, client_id=f"cityops-ingest-{worker}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    subscriber.run_forever(stop)
    console.print(f"ingested {subscriber.stats.accepted:,} readings, rejected {subscriber.stats.rejected:,}")


@ingest_app.command("replay")
def ingest_replay(path: Path, batch: int = 5000) -> None:
    """Replay history from a CSV file with columns device,ts,value (ISO-8601 ts with zone)."""
    import csv

    from cityops.core.db import session_scope
    from cityops.sensing import ingest

    _, factory = open_database(Settings())
    accepted = rejected = 0
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for start in range(0, len(rows), batch):
        items = []
        for n, row in enumerate(rows[start : start + batch], start=start + 2):
            try:
                value: object = float(row.get("value", ""))
            except ValueError:
                value = row.get("value")
            items.append((n, {"device": row.get("device"), "ts": row.get("ts"), "value": value}))
        with session_scope(factory) as s:
            result = ingest.ingest(s, items, source="replay")
        accepted += result.accepted
        rejected += len(result.rejected)
        for r in result.rejected[:20]:
            console.print(f"line {r['line']}: {r['reason']}")
    console.print(f"replayed: {accepted:,} accepted, {rejected:,} rejected")


if __name__ == "__main__":
    app()
