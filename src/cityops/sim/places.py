"""Where simulated reports come from, and the report itself: a place (district › street › community)
and a text that names that place. A grid worker's report is filed from a grid of the community its
text names, so the demo never says one place and files another."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.events.catalogue import CategoryView
from cityops.events.intake import IntakeItem
from cityops.org.models import OrgLevel, OrgUnit, UnitGeometry
from cityops.org.naming import common_name
from cityops.sim.texts import report_text

# Hot spots: the main urban districts report most.
HOT_DISTRICTS = {
    "500103": 6,
    "500105": 5,
    "500106": 5,
    "500107": 5,
    "500108": 4,
    "500112": 6,
    "500104": 2,
    "500109": 2,
    "500113": 3,
    "500101": 3,
    "500102": 2,
    "500116": 2,
}


class Place(NamedTuple):
    district: str
    street: str
    community: str  # as people write it: 解放碑社区, 五根村 (never 五根村村)
    weight: int
    code: str  # the community's code (its grids' codes start with it)

    @property
    def text(self) -> str:
        return f"{self.street}{self.community}"


def load_places(s: Session, rng: random.Random, *, sample: float = 0.05) -> list[Place]:
    """Every community of the hot districts, a sample elsewhere."""
    names = {uid: name for uid, name in s.execute(select(OrgUnit.id, OrgUnit.name))}
    districts = {c: i for c, i in s.execute(select(OrgUnit.code, OrgUnit.id).where(OrgUnit.level == OrgLevel.district))}
    rows = s.execute(
        select(OrgUnit.code, OrgUnit.path, OrgUnit.name, OrgUnit.kind).where(OrgUnit.level == OrgLevel.community)
    )
    places = []
    for code, path, name, kind in rows:
        weight = HOT_DISTRICTS.get(str(code)[:6], 0)
        if not weight and rng.random() > sample:
            continue
        street_id = int(path.strip("/").split("/")[2])
        district = names.get(districts.get(str(code)[:6], 0), "")
        places.append(Place(district, names.get(street_id, ""), common_name(name, kind), weight or 1, str(code)))
    return places


def district_shapes(s: Session) -> dict[str, Any]:
    """District name → polygon (shapely), to place simulated phone fixes inside the right district."""
    rows = s.execute(select(OrgUnit.name, UnitGeometry.geojson).join(UnitGeometry, UnitGeometry.unit_id == OrgUnit.id))
    return {str(name): shape(json.loads(g)) for name, g in rows}


def point_in(rng: random.Random, area: Any) -> tuple[float, float] | None:
    """A random point inside a polygon (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = area.bounds
    for _ in range(50):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if area.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    return None


def grids_by_community(grid_codes: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for code in grid_codes:
        out[code.split("G")[0]].append(code)
    return out


class Reporter:
    """Draws reports: a weighted place, a category, and who reports (a citizen, or a grid worker there)."""

    def __init__(
        self,
        rng: random.Random,
        places: list[Place],
        grid_codes: list[str],
        grid_share: float,
        shapes: dict[str, Any] | None = None,
        gps_share: float = 0.6,
    ) -> None:
        self.rng, self.places, self.grid_share = rng, places, grid_share
        self.shapes, self.gps_share = shapes or {}, gps_share
        self.weights = [p.weight for p in places]
        self.grids = grids_by_community(grid_codes)
        self.gridded = [p for p in places if p.code in self.grids]

    def item(self, cat: CategoryView, at: datetime | None = None) -> IntakeItem:
        if self.gridded and self.rng.random() < self.grid_share:
            place = self.rng.choice(self.gridded)
            return IntakeItem(
                category=cat.code,
                description=report_text(self.rng, cat.code, cat.name, place.text),
                source="grid_worker",
                unit_code=self.rng.choice(self.grids[place.code]),
                received_at=at,
            )
        place = self.rng.choices(self.places, self.weights)[0]
        fix = None  # most phones send a GPS fix: a demo point inside the district the text names
        if place.district in self.shapes and self.rng.random() < self.gps_share:
            fix = point_in(self.rng, self.shapes[place.district])
        return IntakeItem(
            category=cat.code,
            description=report_text(self.rng, cat.code, cat.name, place.text),
            source="citizen",
            address=f"{place.district}{place.text}附近",
            reporter_phone=f"13{self.rng.randint(0, 9)}{self.rng.randint(10**7, 10**8 - 1)}",
            lon=fix[0] if fix else None,
            lat=fix[1] if fix else None,
            received_at=at,
        )
