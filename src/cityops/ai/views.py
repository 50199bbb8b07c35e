"""Read models of the AI that pages, the CLI and the API share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cityops.ai import duplicates, hotspots
from cityops.ai.models import HotSpot
from cityops.ai.schemas import HotSpotEventOut, HotSpotOut, SimilarOut, SuggestionOut, SuggestionsOut
from cityops.ai.service import Suggestions
from cityops.core.pii import mask_text
from cityops.events import catalogue
from cityops.org.models import OrgUnit


def suggestions_out(s: Suggestions) -> SuggestionsOut:
    return SuggestionsOut(
        items=[SuggestionOut(code=i.code, name=i.name, score=i.score, owner=i.owner) for i in s.items],
        source=s.source,
        model_version=s.model_version,
        note=s.note,
    )


def similar_out(found: list[duplicates.Similar]) -> list[SimilarOut]:
    return [
        SimilarOut(
            event_id=s.event.id,
            ref=s.event.ref,
            title=mask_text(s.event.title),
            status=s.event.status,
            similarity=s.similarity,
            distance_m=s.distance_m,
        )
        for s in found
    ]


def hotspot_out(session: Session, spot: HotSpot) -> HotSpotOut:
    unit = session.get(OrgUnit, spot.unit_id)
    cat = catalogue.view(session).by_id.get(spot.category_id)
    evs = hotspots.events_of(session, spot)
    return HotSpotOut(
        id=spot.id,
        unit_id=spot.unit_id,
        unit_name=unit.name if unit else "",
        category=cat.name if cat else "",
        title=mask_text(spot.title),
        count=len(evs),
        first_at=spot.first_at,
        last_at=spot.last_at,
        prompt_text=mask_text(spot.prompt_text),
        events=[
            HotSpotEventOut(id=e.id, ref=e.ref, title=mask_text(e.title), status=e.status, received_at=e.received_at)
            for e in evs
        ],
    )
