"""`cityops backup` / `cityops restore`: SQLite's online backup API (consistent while the server runs),
pg_dump / pg_restore (custom format) for PostgreSQL. With the local file store, the uploaded photos'
directory goes beside the database backup as `<target>.files.tar.gz` (an S3 bucket is backed up by the
store's own means: versioning or replication)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from sqlalchemy.engine import make_url


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = {"PGPASSWORD": u.password or ""}
    return args, env


def files_archive(target: Path) -> Path:
    return target.with_name(f"{target.name}.files.tar.gz")


def backup_files(files_dir: Path, target: Path) -> Path | None:
    """The photos directory as a tar.gz beside the database backup (none when nothing was uploaded)."""
    if not files_dir.is_dir():
        return None
    archive = files_archive(target)
    tmp = archive.with_suffix(".part")
    with tarfile.open(tmp, "w:gz") as tar:
        # Half-written uploads (*.part) are not files yet.
        tar.add(files_dir, arcname="files", filter=lambda m: None if m.name.endswith(".part") else m)
    tmp.replace(archive)
    return archive


def restore_files(files_dir: Path, source: Path) -> bool:
    """Put the photos back from the archive beside `source`; False when the backup holds none."""
    archive = files_archive(source)
    if not archive.exists():
        return False
    staging = files_dir.with_name(f"{files_dir.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, filter="data")  # no absolute paths, links out or devices
    shutil.rmtree(files_dir, ignore_errors=True)
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    (staging / "files").replace(files_dir)
    shutil.rmtree(staging, ignore_errors=True)
    return True


def backup(url: str, target: Path) -> Path:
    u = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if u.get_backend_name() == "sqlite":
        source = sqlite3.connect(u.database or "")
        dest = sqlite3.connect(str(target))
        with dest:
            source.backup(dest)  # page by page, consistent even with writers
        dest.close()
        source.close()
        return target
    args, env = _pg_args(url)
    _run(["pg_dump", "-Fc", "-f", str(target), *args, u.database or ""], env)
    return target


def restore(url: str, source: Path) -> None:
    if not source.exists():
        raise FileNotFoundError(source)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        db = Path(u.database or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, db)
        return
    args, env = _pg_args(url)
    _drop_partitioned(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", u.database or "", *args, str(source)], env)


def _drop_partitioned(url: str) -> None:
    """pg_restore --clean cannot drop a partition's inherited constraints one by one (it stops with "cannot
    drop inherited constraint"); dropping each partitioned table with its partitions first lets the restore
    recreate them from the dump (the restore replaces everything anyway)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as c:
            names = c.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'p' AND n.nspname = current_schema()"
                )
            ).scalars()
            for name in list(names):
                c.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


def _run(cmd: list[str], env: dict[str, str]) -> None:
    import os

    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr.strip()[:500]}")
