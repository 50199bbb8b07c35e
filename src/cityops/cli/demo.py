"""`cityops demo`: build the Chongqing demo city, then run the server and the worker together."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cityops.core.settings import Settings

console = Console()


def demo(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    setup_only: Annotated[bool, typer.Option(help="build the demo database and exit")] = False,
    speed: Annotated[float, typer.Option(help="simulated seconds per real second (60: an hour a minute)")] = 60.0,
    scale: Annotated[float, typer.Option(help="share of Chongqing's report volume to simulate")] = 0.05,
    simulate: Annotated[bool, typer.Option(help="run the living-city simulation")] = True,
) -> None:
    """Build the Chongqing demo (hierarchy, map, departments, centres, users) and serve it."""
    import uvicorn

    from cityops import models  # noqa: F401
    from cityops.app import create_app
    from cityops.apps.bundles import install_all
    from cityops.catalog.demo import seed_demo as seed_catalog_demo
    from cityops.core.actor import system_actor
    from cityops.core.db import make_engine, session_scope
    from cityops.core.migrate import upgrade
    from cityops.demo.apps import launch_apps
    from cityops.demo.users import DEMO_PASSWORD, ensure_demo_users
    from cityops.org.loader import import_chongqing
    from cityops.runtime import session_factory
    from cityops.sim.apps import seed_wages_demo, today_in_china

    settings = Settings()
    engine = make_engine(settings.database_url, **settings.engine_options())
    factory = session_factory(engine, settings)
    console.print(f"[bold]cityops 演示城市 / demo city[/bold] — database {settings.database_url}")
    upgrade(engine)
    actor = system_actor("system:demo")
    with session_scope(factory) as s:
        report = import_chongqing(
            s, actor, grids_per_community=settings.grids_per_community, zones_file=settings.special_zones_file
        )
        install_all(s, actor)  # every shipped app bundle (民呼我为, 突发事件直报快响, 危岩地灾 …)
        launch_apps(s, actor)  # so the hourly job derives 贯通实战 from the simulated city's use
        users = ensure_demo_users(s, actor)
    with session_scope(factory) as s:
        seed_catalog_demo(s, actor)  # after the users commit: demo requests are filed by them
    seed_wages_demo(factory, today_in_china())  # 根治欠薪 demo employers, projects, payments and complaints
    from cityops.ai.demo import seed_demo as seed_ai_demo

    ai_figures = seed_ai_demo(factory)  # history from our corpus, a live model, a hot spot in the making
    if ai_figures:
        console.print(f"AI: {ai_figures}")
    console.print(f"org tree: +{sum(report.inserted.values()):,} units (already there are kept)")
    table = Table(title=f"演示账号 / demo logins (password: {DEMO_PASSWORD})")
    for col in ("username", "name", "roles", "unit"):
        table.add_column(col)
    for u in users:
        table.add_row(u.username, u.display_name, ",".join(u.roles), u.unit_code)
    console.print(table)
    if setup_only:
        return

    stop = threading.Event()
    threads = _background(factory, settings, stop, speed=speed, scale=scale, simulate=simulate)
    for thread in threads:
        thread.start()
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(
        f"[green]cityops running at http://{bind_host}:{bind_port}[/green]  "
        f"(API docs /docs, health /api/health) — Ctrl-C to stop"
    )
    try:
        uvicorn.run(create_app(settings, engine=engine), host=bind_host, port=bind_port, log_level="warning")
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        engine.dispose()
        console.print("stopped")


def _background(
    factory: Any, settings: Settings, stop: threading.Event, *, speed: float, scale: float, simulate: bool
) -> list[threading.Thread]:
    """The worker and, unless turned off, the living-city simulation on an accelerated clock (not started)."""
    from cityops.core.worker import Worker

    threads = []
    if simulate:
        from cityops.core import clock
        from cityops.sim.live import Simulation

        # Deadlines, sweeps and sensors all run on the simulated clock, from this morning 08:30 China time.
        clock.set_source(clock.AcceleratedClock(speed, start=Simulation.start_time(clock.now())))
        from cityops.core.files import store_for

        sim = Simulation(factory, scale=scale, file_store=store_for(settings))
        threads.append(threading.Thread(target=sim.run_forever, args=(stop,), name="cityops-sim", daemon=True))
        console.print(
            f"simulation: ×{speed:g} time ({speed / 60:g} simulated hours per real minute), "
            f"{scale:g} of Chongqing's report volume, sensors with a rainstorm every 8 simulated hours, "
            "grid workers of 解放碑街道 patrolling, reporting and fixing things on the spot"
        )
    worker = Worker(factory, lease_seconds=settings.lease_seconds, max_attempts=settings.outbox_max_attempts)
    threads.append(
        threading.Thread(
            target=worker.run_forever, args=(stop,), kwargs={"poll_seconds": 1.0}, name="cityops-worker", daemon=True
        )
    )
    return threads
