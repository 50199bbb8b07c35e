"""`cityops backup` takes the uploaded photos with the database when they live in the local directory, and
restoring puts them back: a report's photo is served again after the directory was lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cityops.cli.main import app as cli
from cityops.core.actor import Role
from cityops.core.backup import restore_files
from tests.factories import login
from tests.grid.conftest import STREET, jpeg, upload


def test_backup_keeps_the_photos(
    client: TestClient, factory: sessionmaker[Session], db_url: str, files_dir: Path, tmp_path: Path
) -> None:
    worker = login(client, factory, "bk_worker", [Role.grid_worker], unit_code=STREET)
    photo = upload(client, worker, jpeg())
    runner = CliRunner()
    env = {"CITYOPS_DATABASE_URL": db_url, "CITYOPS_FILES_DIR": str(files_dir), "CITYOPS_FILE_STORE": "local"}
    target = tmp_path / "backup" / "cityops.backup"
    out = runner.invoke(cli, ["backup", str(target)], env=env)
    assert out.exit_code == 0, out.output
    assert "cityops.backup.files.tar.gz" in out.output.replace("\n", "")
    shutil.rmtree(files_dir)  # the disk with the photos is lost
    assert client.get(photo["thumb_url"], headers=worker.headers).status_code == 404
    # `cityops restore` restores the database (tests/core/test_backup.py), then the photos like this:
    assert restore_files(files_dir, target)
    thumb = client.get(photo["thumb_url"], headers=worker.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
