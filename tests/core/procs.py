"""Real `cityops serve` and `cityops worker` processes for the crash and fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

CITYOPS = Path(sys.executable).parent / "cityops"


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "CITYOPS_DATABASE_URL": db_url, "CITYOPS_ENV": "test", **extra}


def start_server(db_url: str, port: int, **extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(CITYOPS), "serve", "--port", str(port), "--no-migrate"],
        env=env_for(db_url, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60  # a start imports the app and warms its pool (≈ 10 s on a busy machine)
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def start_worker(db_url: str, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(CITYOPS), "worker"],
        env=env_for(db_url, CITYOPS_WORKER_POLL_SECONDS="0.2", **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def audit_verify(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CITYOPS), "audit", "verify"], env=env_for(db_url), capture_output=True, text=True)
