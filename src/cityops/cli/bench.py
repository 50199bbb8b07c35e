"""`cityops bench …`: benchmarks that print our figure, the same-run baseline and the ratio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cityops.bench import BenchResult, machine
from cityops.core.settings import Settings

bench_app = typer.Typer(
    help="Benchmarks: our figure, a raw baseline from the same run, and the ratio.", no_args_is_help=True
)
console = Console()


def _report(results: list[BenchResult], out: Path | None) -> None:
    lines = ["# cityops benchmarks", f"machine: {machine()}", ""]
    for r in results:
        lines += [*r.lines(), ""]
    text = "\n".join(lines)
    console.print(text)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"report written to {out}")


@bench_app.command("geo")
def bench_geo(
    points: Annotated[int, typer.Option(help="points in the batch")] = 10_000,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """Point → district for a batch of points (vectorised STRtree vs per-point loop)."""
    from cityops import models  # noqa: F401
    from cityops.bench import geo
    from cityops.core.db import make_engine, session_scope
    from cityops.runtime import session_factory

    factory = session_factory(make_engine(Settings().database_url))
    with session_scope(factory, write=False) as s:
        _report([geo.run(s, points=points)], out)


@bench_app.command("intake")
def bench_intake(
    events: Annotated[int, typer.Option(help="events to take in")] = 100_000,
    batch: Annotated[int, typer.Option(help="events per transaction")] = 5_000,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """Bulk intake on a fresh SQLite database (in a temporary folder) vs plain executemany of the same rows."""
    import tempfile

    from cityops import models  # noqa: F401
    from cityops.bench import intake
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        factory = session_factory(engine)
        console.print("preparing a fresh database (schema, Chongqing tree, catalogue)…")
        intake.setup_database(engine, factory)
        result = intake.run(engine, factory, events=events, batch=batch)
        engine.dispose()
    _report([result], out)


def _fresh_database(tmp: str) -> tuple[object, object]:
    from cityops import models  # noqa: F401
    from cityops.bench import intake
    from cityops.core.db import make_engine
    from cityops.runtime import session_factory

    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    factory = session_factory(engine)
    console.print("preparing a fresh database (schema, Chongqing tree, catalogue)…")
    intake.setup_database(engine, factory)
    return engine, factory


@bench_app.command("readings")
def bench_readings(
    readings: Annotated[int, typer.Option(help="readings to ingest")] = 200_000,
    devices: Annotated[int, typer.Option(help="devices in the fleet")] = 2_000,
    postgres: Annotated[
        str | None, typer.Option(help="also on PostgreSQL: a server URL (a fresh database is made and dropped)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """Readings through ingest + rules + alarms + rollups vs plain executemany of the same raw rows, on a
    fresh SQLite database and, with --postgres (or CITYOPS_BENCH_POSTGRES), on a fresh PostgreSQL one."""
    import os
    import tempfile

    from cityops.bench import readings as bench

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        results.append(bench.run(engine, factory, readings=readings, devices=devices))  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    server = postgres or os.environ.get("CITYOPS_BENCH_POSTGRES")
    if server:
        console.print("preparing a fresh PostgreSQL database…")
        with bench.postgres_database(server) as (pg_engine, pg_factory):
            results.append(bench.run(pg_engine, pg_factory, readings=readings, devices=devices))
    _report(results, out)


@bench_app.command("mqtt")
def bench_mqtt(
    rate: Annotated[int, typer.Option(help="messages per second to publish")] = 2_000,
    seconds: Annotated[int, typer.Option(help="how long to publish (bounded)", max=120)] = 10,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """End to end through a local mosquitto that this command starts and stops: published, stored, lost."""
    import tempfile

    from cityops.bench import readings as bench
    from cityops.bench.broker import local_mosquitto

    with tempfile.TemporaryDirectory() as tmp, local_mosquitto(tmp) as url:
        engine, factory = _fresh_database(tmp)
        result = bench.run_mqtt(engine, factory, url, rate=rate, seconds=seconds)  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    _report([result], out)


@bench_app.command("sweep")
def bench_sweep(
    open_events: Annotated[int, typer.Option(help="open events in the database")] = 1_000_000,
    due: Annotated[int, typer.Option(help="how many of them are past their deadline")] = 10_000,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """The deadline sweep over many open events vs a plain UPDATE of the same flags."""
    import tempfile

    from cityops.bench import sweep

    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        console.print(f"filling {open_events:,} open events…")
        result = sweep.run(engine, factory, open_events=open_events, due=due)  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    _report([result], out)


@bench_app.command("http")
def bench_http(
    clients: Annotated[int, typer.Option(help="closed loop: concurrent clients", min=1, max=200)] = 50,
    seconds: Annotated[int, typer.Option(help="how long to load (bounded)", min=1, max=120)] = 60,
    workers: Annotated[list[int] | None, typer.Option(help="server processes; repeat to compare (1 and 2)")] = None,
    rate: Annotated[float, typer.Option(help="open loop: offered creates/s (0: closed loop)", min=0, max=2000)] = 0,
    read_rate: Annotated[float, typer.Option(help="open loop: offered reads/s", min=0, max=2000)] = 0,
    warmup: Annotated[
        int, typer.Option(help="open loop: seconds offered after the start and reported apart", min=0, max=60)
    ] = 5,
    database_url: Annotated[
        str | None, typer.Option(help="use this prepared database instead of a fresh SQLite")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """Creates under load against a real server process: closed loop (N clients, creates/s) or open loop at
    a fixed offered rate of creates and reads (p50/p95/p99, errors); each beside /api/health in the same run.
    With several --workers the runs go in one report, the ratio of the last to the first is printed."""
    import tempfile

    from cityops.bench import http

    counts = workers or [1]
    with tempfile.TemporaryDirectory() as tmp:
        if database_url is None:
            engine, _ = _fresh_database(tmp)
            engine.dispose()  # type: ignore[attr-defined]
            database_url = f"sqlite:///{tmp}/bench.db"
        results = []
        for n in counts:
            if rate or read_rate:
                results.append(
                    http.run_open(
                        database_url, create_rate=rate, read_rate=read_rate, seconds=seconds, workers=n, warmup=warmup
                    )
                )
            else:
                results.append(http.run(database_url, clients=clients, seconds=seconds, workers=n))
        _report(results, out)
    if len(results) > 1 and not (rate or read_rate):
        first, last = results[0], results[-1]
        console.print(
            f"{counts[-1]} processes vs {counts[0]}: {last.ours:.0f} vs {first.ours:.0f} creates/s = "
            f"{last.ours / first.ours:.2f}× (health baseline {last.baseline / first.baseline:.2f}×)"
        )


@bench_app.command("scale-out")
def bench_scale_out(
    postgres: Annotated[str, typer.Option(help="a prepared PostgreSQL database (migrated, org tree, catalogue)")],
    seconds: Annotated[int, typer.Option(help="how long each load runs (bounded)", min=5, max=120)] = 30,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """The cluster figures in one report, each beside its baseline: creates/s with 1 and 2 server processes on
    PostgreSQL (closed loop), the open loop at 100 creates/s + 100 reads/s with 2 processes on SQLite and on
    PostgreSQL, and the deadline sweep over 1,000,000 open events."""
    import tempfile

    from cityops.bench import http, sweep

    results = [http.run(postgres, seconds=seconds, workers=n) for n in (1, 2)]
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = _fresh_database(tmp)
        engine.dispose()  # type: ignore[attr-defined]
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        results.append(http.run_open(sqlite_url, create_rate=100, read_rate=100, seconds=seconds, workers=2))
    results.append(http.run_open(postgres, create_rate=100, read_rate=100, seconds=seconds, workers=2))
    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        console.print("filling 1,000,000 open events…")
        results.append(sweep.run(engine, factory, open_events=1_000_000, due=10_000))  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    _report(results, out)
    one, two = results[0], results[1]
    console.print(
        f"PostgreSQL, 2 processes vs 1: {two.ours:.0f} vs {one.ours:.0f} creates/s = {two.ours / one.ours:.2f}×"
    )


@bench_app.command("cockpit")
def bench_cockpit(
    events: Annotated[int, typer.Option(help="events in the table")] = 10_000_000,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """The city cockpit summary over a large event table (filled in SQLite) vs a scan of the same table."""
    import tempfile

    from cityops.bench import cockpit

    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        console.print(f"filling {events:,} events…")
        result = cockpit.run(engine, factory, events=events)  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    _report([result], out)


@bench_app.command("ai")
def bench_ai(
    copies: Annotated[int, typer.Option(help="history events per seen text", min=1, max=20)] = 3,
    out: Annotated[Path | None, typer.Option(help="write the Markdown report here")] = None,
) -> None:
    """Category suggestion trained on closed events vs keyword matching, on texts it never saw."""
    import tempfile

    from cityops.bench import ai

    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        results = ai.run(factory, copies=copies)  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]
    _report(results, out)


@bench_app.command("all")
def bench_all(
    out: Annotated[Path, typer.Option(help="the Markdown report")] = Path("bench-report.md"),
    quick: Annotated[bool, typer.Option(help="smaller sizes, for a smoke run")] = False,
) -> None:
    """Every scenario in one run; writes one Markdown report with each figure, baseline, ratio and machine."""
    import tempfile

    from cityops.bench import geo, intake, readings, sweep
    from cityops.bench.broker import local_mosquitto
    from cityops.bench.readings import run_mqtt
    from cityops.core.db import session_scope

    scale = 10 if quick else 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine, factory = _fresh_database(tmp)
        with session_scope(factory, write=False) as s:  # type: ignore[arg-type]
            results.append(geo.run(s))
        results.append(intake.run(engine, factory, events=50_000 // scale))  # type: ignore[arg-type]
        engine.dispose()  # type: ignore[attr-defined]

    def run_readings(e: Any, f: Any) -> BenchResult:
        return readings.run(e, f, readings=200_000 // scale)

    def run_sweep(e: Any, f: Any) -> BenchResult:
        return sweep.run(e, f, open_events=1_000_000 // scale, due=1_000 // scale)

    from cityops.bench import http

    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = _fresh_database(tmp)
        engine.dispose()  # type: ignore[attr-defined]
        console.print("running http…")
        results.append(http.run(f"sqlite:///{tmp}/bench.db", clients=50, seconds=60 // scale))

    def run_cockpit(e: Any, f: Any) -> BenchResult:
        from cityops.bench import cockpit

        return cockpit.run(e, f, events=10_000_000 // scale)

    for name, fn in (("readings", run_readings), ("sweep", run_sweep), ("cockpit", run_cockpit)):
        with tempfile.TemporaryDirectory() as tmp:
            engine, factory = _fresh_database(tmp)
            console.print(f"running {name}…")
            results.append(fn(engine, factory))
            engine.dispose()  # type: ignore[attr-defined]
    try:
        with tempfile.TemporaryDirectory() as tmp, local_mosquitto(tmp) as url:
            engine, factory = _fresh_database(tmp)
            results.append(run_mqtt(engine, factory, url, seconds=10 // scale or 1))  # type: ignore[arg-type]
            engine.dispose()  # type: ignore[attr-defined]
    except RuntimeError as exc:  # no broker on this machine: say so in the report
        console.print(f"[yellow]mqtt skipped: {exc}[/yellow]")
    _report(results, out)
