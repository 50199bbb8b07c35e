"""Photos in an S3-compatible store: a local server speaking the S3 protocol on loopback (moto), the real
boto3 client. A grid worker's photo lands in the bucket, its thumbnail and EXIF position work as with the
local directory, a bad upload is refused as before, and nothing is written to the local directory."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from mypy_boto3_s3 import S3Client
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from cityops.core.files_s3 import S3FileStore
from tests.factories import login
from tests.grid.conftest import INSIDE, STREET, jpeg, upload

BUCKET = "cityops-photos"


def bucket_client(url: str) -> S3Client:
    """Our own view of the bucket (the test server takes any credentials)."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",  # noqa: S106
    )


@pytest.fixture(autouse=True)
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"
    for name, value in {
        "FILE_STORE": "s3",
        "FILES_S3_ENDPOINT": url,
        "FILES_S3_BUCKET": BUCKET,
        "FILES_S3_PREFIX": "photos",
        "FILES_S3_REGION": "us-east-1",
        "FILES_S3_ACCESS_KEY": "test-key",
        "FILES_S3_SECRET_KEY": "test-secret",
    }.items():
        monkeypatch.setenv(f"CITYOPS_{name}", value)
    bucket_client(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def test_photos_live_in_the_s3_bucket(
    client: TestClient, factory: sessionmaker[Session], s3_server: str, files_dir: Path
) -> None:
    worker = login(client, factory, "s3_worker", [Role.grid_worker], unit_code=STREET)
    photo = upload(client, worker, jpeg(gps=INSIDE, size=(1200, 900)))
    assert photo["gps"] == [pytest.approx(INSIDE[0], abs=1e-4), pytest.approx(INSIDE[1], abs=1e-4)]
    bad = client.post("/api/files", headers=worker.headers, files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 422 and bad.json()["code"] == "file.not_an_image"
    thumb = client.get(photo["thumb_url"], headers=worker.headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(BytesIO(thumb.content)) as img:
        assert max(img.size) == 320
    full = client.get(photo["url"], headers=worker.headers)
    assert full.status_code == 200 and len(full.content) == photo["size"]
    s3 = bucket_client(s3_server)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert len(keys) == 2 and all(k.startswith("photos/") for k in keys) and keys[1].endswith("t")
    assert not files_dir.exists()  # nothing went to the local directory
    store = S3FileStore(s3, BUCKET, "photos")
    store.delete(keys[0].removeprefix("photos/"))
    assert client.get(photo["url"], headers=worker.headers).status_code == 404  # gone from the bucket: 404
