"""AI routes: suggestions (category top 3, similar open reports), model versions (train, choose the live
one), auto-dispatch thresholds and how auto-dispatch fared, hot spots, and summaries."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cityops.ai import auto, duplicates, hotspots, materials, service, summary, training
from cityops.ai.models import AiModel
from cityops.ai.schemas import (
    AutoDispatchOut,
    EventAssistOut,
    HotSpotOut,
    ModelOut,
    SuggestionsOut,
    SummaryOut,
    ThresholdIn,
    ThresholdOut,
    TrainIn,
)
from cityops.ai.text import event_text
from cityops.ai.views import hotspot_out, similar_out, suggestions_out
from cityops.core.deps import ActorDep, SessionDep, TransactionalRoute
from cityops.core.hooks import hooks_of
from cityops.events import catalogue
from cityops.events import service as events
from cityops.org import service as org

router = APIRouter(prefix="/api/ai", tags=["ai"], route_class=TransactionalRoute)


@router.get("/suggest")
def suggest(session: SessionDep, actor: ActorDep, text: Annotated[str, Query(max_length=4000)] = "") -> SuggestionsOut:
    """The three likeliest categories for a text, with confidence and the learned owner."""
    return suggestions_out(service.suggest(session, text))


@router.get("/events/{event_id}", responses={404: {"description": "absent or not yours"}})
def event_assist(event_id: int, session: SessionDep, actor: ActorDep) -> EventAssistOut:
    """For the dispatcher: the top 3 categories, and similar open reports nearby (并案 candidates)."""
    event = events.access_event(session, actor, event_id)
    s = service.suggest(session, event_text(event.title, event.description, event.address))
    similar = duplicates.for_event(session, event, events.visible(actor))
    return EventAssistOut(suggestions=suggestions_out(s), similar=similar_out(similar))


@router.get("/models")
def list_models(session: SessionDep, actor: ActorDep) -> list[ModelOut]:
    return [ModelOut.model_validate(m) for m in service.list_models(session)]


@router.post("/models/train", status_code=201, responses={409: {"description": "too little history"}})
def train(session: SessionDep, actor: ActorDep, body: TrainIn | None = None) -> ModelOut:
    """Train a new version now (it is stored with its evaluation; it is not live until activated)."""
    service.require_admin(actor)
    return ModelOut.model_validate(training.train_version(session, actor, note=(body or TrainIn()).note))


@router.post("/models/{model_id}/activate")
def activate(model_id: int, session: SessionDep, actor: ActorDep) -> ModelOut:
    service.require_admin(actor)
    row: AiModel = service.access_model(session, model_id)
    return ModelOut.model_validate(service.activate(session, actor, row))


@router.get("/thresholds")
def list_thresholds(session: SessionDep, actor: ActorDep) -> list[ThresholdOut]:
    view = catalogue.view(session)
    return [
        ThresholdOut(category=view.by_id[cid].code, name=view.by_id[cid].name, threshold=t)
        for cid, t in service.thresholds(session).items()
        if cid in view.by_id
    ]


@router.put("/thresholds/{code}")
def set_threshold(code: str, body: ThresholdIn, session: SessionDep, actor: ActorDep) -> list[ThresholdOut]:
    """Auto-dispatch for one category at this confidence (null: off, the default)."""
    service.set_threshold(session, actor, code, body.threshold)
    return list_thresholds(session, actor)


@router.get("/auto-dispatch")
def auto_dispatch(session: SessionDep, actor: ActorDep) -> AutoDispatchOut:
    """How auto-dispatch fared: dispatched by the AI, and later returned or reassigned."""
    return AutoDispatchOut(**auto.auto_dispatch_figures(session, actor))


@router.get("/hotspots")
def list_hotspots(session: SessionDep, actor: ActorDep) -> list[HotSpotOut]:
    return [hotspot_out(session, h) for h in hotspots.list_hotspots(session, actor)]


@router.get("/summaries/events/{event_id}")
def summarize_event(event_id: int, session: SessionDep, actor: ActorDep) -> SummaryOut:
    event = events.access_event(session, actor, event_id)
    title, lines = materials.event_material(session, event)
    return SummaryOut(**vars(summary.summarize(hooks_of(session).settings, title, lines)))


@router.get("/summaries/hotspots/{spot_id}")
def summarize_hotspot(spot_id: int, session: SessionDep, actor: ActorDep) -> SummaryOut:
    spot = hotspots.access_hotspot(session, actor, spot_id)
    title, lines = materials.hotspot_material(session, spot)
    return SummaryOut(**vars(summary.summarize(hooks_of(session).settings, title, lines)))


@router.get("/summaries/streets/{unit_id}")
def summarize_street_day(unit_id: int, day: date, session: SessionDep, actor: ActorDep) -> SummaryOut:
    street = org.access_unit(session, actor, unit_id)
    title, lines = materials.street_day_material(session, actor, street, day)
    return SummaryOut(**vars(summary.summarize(hooks_of(session).settings, title, lines)))
