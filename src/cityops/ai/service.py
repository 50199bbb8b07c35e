"""Suggestions from the live model (or the keyword fallback, which says so), choosing the live version,
and the per-category auto-dispatch thresholds (off unless an admin sets one)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.ai.classifier import Classifier
from cityops.ai.models import AiModel, AiThreshold
from cityops.ai.training import closed_count, vocabulary
from cityops.catalog import components
from cityops.catalog.models import CapabilityComponent, ComponentStatus
from cityops.catalog.schemas import ReviewIn
from cityops.core import audit, clock
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.cache import VersionedCache
from cityops.core.errors import Forbidden, Invalid, NotFound
from cityops.events import catalogue

ADMINS = (Role.sysadmin, Role.app_admin)


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    score: float
    owner: str = ""  # who most often closed this category (learned), else the duty list's owner


@dataclass
class Suggestions:
    items: list[Suggestion]
    source: str  # model | keywords
    model_version: str | None = None
    note: str = ""


@dataclass
class Live:
    model_id: int | None = None
    version: str | None = None
    classifier: Classifier | None = None
    owners: dict[str, dict[str, object]] = field(default_factory=dict)


def _live_signature(session: Session) -> Hashable:
    return tuple(session.execute(select(AiModel.id, AiModel.version).where(AiModel.live.is_(True))).all())


def _load_live(session: Session, sig: Hashable) -> Live:
    row = session.scalars(select(AiModel).where(AiModel.live.is_(True)).limit(1)).first()
    if row is None:
        return Live()
    return Live(row.id, row.version, Classifier.loads(row.blob), dict(row.owners or {}))


_LIVE: VersionedCache[Live] = VersionedCache(_live_signature, _load_live, ttl=5.0)


def live(session: Session) -> Live:
    return _LIVE.get(session)


def require_admin(actor: Actor) -> None:
    if not (actor.is_system or actor.has(*ADMINS)):
        raise Forbidden("只有系统管理员或应用管理员可以配置智能模型 / admins only", code="ai.admin_only")


def suggest(session: Session, text: str, k: int = 3) -> Suggestions:
    """The k likeliest categories for a report's text, with confidence and the learned owner."""
    names = {c.code: c.name for c in catalogue.view(session).by_code.values()}
    current = live(session)
    if current.classifier is not None and text.strip():
        ranked = current.classifier.rank([text], k)[0]
        items = [
            Suggestion(code, names.get(code, code), score, str((current.owners.get(code) or {}).get("name", "")))
            for code, score in ranked
            if code in names
        ]
        return Suggestions(items, "model", current.version)
    ranked = vocabulary(session).rank(text, k) if text.strip() else []
    items = [Suggestion(code, names.get(code, code), score) for code, score in ranked]
    closed = closed_count(session)
    note = (
        f"已办结事件仅 {closed} 件，历史不足，暂按关键词推荐 / too little history: keyword matches"
        if current.classifier is None
        else ""
    )
    return Suggestions(items, "keywords", None, note)


def list_models(session: Session) -> list[AiModel]:
    return list(session.scalars(select(AiModel).order_by(AiModel.id.desc()).limit(50)))


def access_model(session: Session, model_id: int) -> AiModel:
    row = session.get(AiModel, model_id)
    if row is None:
        raise NotFound("模型版本不存在 / model version not found", code="ai.model_not_found")
    return row


def activate(session: Session, actor: Actor, row: AiModel) -> AiModel:
    """Make this version the live one; its registry entry is listed (上架), the previous one's delisted."""
    require_admin(actor)
    registrar = system_actor("system:ai")
    for old in session.scalars(select(AiModel).where(AiModel.live.is_(True), AiModel.id != row.id)):
        old.live = False
        _review(session, registrar, old.component_id, "delist", f"由 {row.version} 替换 / replaced by {row.version}")
    row.live = True
    _review(session, registrar, row.component_id, "list", "启用为在用版本 / made live")
    audit.record(session, actor, "ai.model_activated", row, version=row.version)
    session.flush()
    _LIVE.invalidate()
    return row


def _review(session: Session, actor: Actor, component_id: int | None, decision: str, note: str) -> None:
    component = session.get(CapabilityComponent, component_id) if component_id else None
    if component is None:
        return
    wanted = ComponentStatus.listed if decision == "list" else ComponentStatus.delisted
    if component.status != wanted and (decision == "list" or component.status == ComponentStatus.listed):
        components.review(session, actor, component, ReviewIn(decision=decision, note=note))


def thresholds(session: Session) -> dict[int, float]:
    """category id -> auto-dispatch threshold (a category absent here is never auto-dispatched)."""
    return {cid: t for cid, t in session.execute(select(AiThreshold.category_id, AiThreshold.threshold))}


def set_threshold(session: Session, actor: Actor, code: str, threshold: float | None) -> None:
    """Turn auto-dispatch on for a category at this confidence, or off (None)."""
    require_admin(actor)
    cat = catalogue.view(session).category(code)
    if threshold is not None and not 0.5 <= threshold <= 1.0:
        raise Invalid("阈值应在 0.5 到 1 之间 / threshold between 0.5 and 1", field="threshold", code="ai.threshold")
    row = session.get(AiThreshold, cat.id)
    if threshold is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        by, at = actor.username[:80], clock.now()
        session.add(AiThreshold(category_id=cat.id, threshold=threshold, set_by=by, set_at=at))
    else:
        row.threshold, row.set_by, row.set_at = threshold, actor.username[:80], clock.now()
    audit.record(session, actor, "ai.threshold_set", None, category=code, threshold=threshold)
    session.flush()
