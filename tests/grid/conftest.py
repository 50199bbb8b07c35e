"""Grid tests: street A's grid with an imported (test) boundary, a grid worker assigned to it, photos."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import Login, login, unit

STREET = "500103003"  # 解放碑街道
COMMUNITY = "500103003017"  # 邹容路社区
GRID = f"{COMMUNITY}G01"
OTHER_COMMUNITY = "500103003013"  # 民生路社区 (its grid keeps no boundary)
# A test boundary around a point of 渝中区 (test data only: no real grid boundary is known to us).
SQUARE = [[106.575, 29.556], [106.581, 29.556], [106.581, 29.562], [106.575, 29.562], [106.575, 29.556]]
INSIDE = (106.578, 29.559)
OUTSIDE = (106.590, 29.570)


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploaded photos go to this test's own directory (settings are read from the environment)."""
    d = tmp_path / "files"
    monkeypatch.setenv("CITYOPS_FILES_DIR", str(d))
    return d


def jpeg(*, gps: tuple[float, float] | None = None, size: tuple[int, int] = (640, 480)) -> bytes:
    img = Image.new("RGB", size, (180, 120, 60))
    out = io.BytesIO()
    if gps is None:
        img.save(out, "JPEG")
        return out.getvalue()
    exif = Image.Exif()
    lon, lat = gps

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        return (float(d), float(m), round(((v - d) * 60 - m) * 60, 4))

    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


@dataclass
class GridWorld:
    duty: Login
    worker: Login
    grid_id: int
    plain_grid_id: int
    plan_id: int


def upload(client: TestClient, who: Login, data: bytes, name: str = "photo.jpg", ctype: str = "image/jpeg") -> dict:
    r = client.post("/api/files", headers=who.headers, files={"file": (name, data, ctype)})
    assert r.status_code == 201, r.text
    return dict(r.json())


def geojson_square(code: str) -> bytes:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": "邹容路第1网格", "kind": "综合网格", "source": "test"},
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.fixture
def world(client: TestClient, factory: sessionmaker[Session], session: Session) -> GridWorld:
    duty = login(client, factory, "g_duty", [Role.dispatcher], unit_code=STREET)
    worker = login(client, factory, "g_worker", [Role.grid_worker], unit_code=STREET)
    r = client.post(
        "/api/grids/import",
        headers=duty.headers,
        files={"file": ("grids.geojson", geojson_square(GRID), "application/json")},
    )
    assert r.status_code == 200 and r.json() == {"saved": 1, "errors": []}, r.text
    grid_id = unit(session, GRID).id
    plain_id = unit(session, f"{OTHER_COMMUNITY}G01").id
    for gid in (grid_id, plain_id):
        r = client.post(
            f"/api/grids/{gid}/workers",
            headers=duty.headers,
            json={
                "user_id": worker.user_id,
                "employment": "专职",
                "shift": "周一至周五 08:30-17:30",
                "phone": "13800001111",
            },
        )
        assert r.status_code == 201, r.text
    r = client.post(
        f"/api/grids/{grid_id}/patrol-plans",
        headers=duty.headers,
        json={
            "name": "邹容路日常巡查",
            "checkpoints": [{"name": "邹容路口"}],
            "per_day": 1,
            "window_start": "08:00",
            "window_end": "18:00",
        },
    )
    assert r.status_code == 201, r.text
    return GridWorld(duty, worker, grid_id, plain_id, r.json()["id"])
