"""Start and stop a throwaway mosquitto on a free loopback port (benchmarks; tests have their own fixture)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"


def ingest_worker(db_url: str, url: str, worker: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """`cityops ingest mqtt --worker i --workers n` as its own process, on this interpreter."""
    env = {**os.environ, "CITYOPS_DATABASE_URL": db_url, "CITYOPS_ENV": os.environ.get("CITYOPS_ENV", "test")}
    cmd = [sys.executable, "-c", "from cityops.cli.main import app; app()", "ingest", "mqtt", "--url", url]
    cmd += ["--worker", str(worker), "--workers", str(workers)]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


@contextmanager
def local_mosquitto(folder: str) -> Iterator[str]:
    if not Path(MOSQUITTO).exists():
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = Path(folder) / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\n"
    )
    os.chmod(folder, 0o755)
    conf.chmod(0o644)
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
