"""Simulated reports name the place they are filed in: a grid worker's report names a community of its own
grid's street, a citizen's report is located where its text says, and no name doubles up (五根村村)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cityops.events.models import Event
from cityops.org.models import OrgUnit
from cityops.org.naming import common_name
from cityops.sim.headless import YearRun


def test_simulated_texts_name_places_inside_their_unit(factory: sessionmaker[Session]) -> None:
    YearRun(factory, scale=0.005, batch=50).run(1, end=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    with factory() as s:
        units = {u.id: u for u in s.scalars(select(OrgUnit).where(OrgUnit.level.in_(["street", "community"])))}
        events = list(s.scalars(select(Event)))
    assert len(events) > 50
    by_source: dict[str, int] = {}
    for e in events:
        assert "村村" not in e.description and "社区社区" not in e.description, e.description
        ids = [int(p) for p in e.unit_path.strip("/").split("/")]
        street, community = units.get(ids[2]) if len(ids) > 2 else None, units.get(ids[3]) if len(ids) > 3 else None
        assert street is not None and community is not None, (e.source, e.description, e.unit_path)
        # the text names the street and the community the event is filed under
        assert street.name + common_name(community.name, community.kind) in e.description, (
            e.source,
            e.description,
            street.name,
            community.name,
        )
        by_source[e.source] = by_source.get(e.source, 0) + 1
    assert by_source.get("grid_worker", 0) > 5 and by_source.get("citizen", 0) > 5
    # most citizens' phones send a (demo) fix inside the district their text names: filed where both agree
    located = [e for e in events if e.source == "citizen" and e.lon is not None]
    assert len(located) > by_source["citizen"] / 3
