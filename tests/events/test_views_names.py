"""An event list names units and departments from the per-process org view, and asks the database for a name
the view lacks (a unit made by another process seconds ago, one retired since). That query's answer used to
be handed to dict.update as it came — a Result has keys(), so it was taken for a mapping and the list failed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.events.views import _names
from cityops.org.models import OrgUnit


def test_a_name_missing_from_the_view_is_read_from_the_database(session: Session) -> None:
    some = [(i, n) for i, n in session.execute(select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.id).limit(3))]
    known = {some[0][0]: some[0][1]}
    names = _names(session, known, {uid for uid, _ in some}, OrgUnit.id, OrgUnit.name)
    assert names == dict(some)
