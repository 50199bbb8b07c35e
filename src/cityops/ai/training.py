"""Training a classifier version from the platform's closed events (their final category and owner, after
any return, reassignment or recategorization) plus the catalogue's own words; each version is stored with
its evaluation on the newest closed events held out, and registered as an AI+ capability component."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.ai import classifier
from cityops.ai.keywords import Vocabulary
from cityops.ai.models import AiModel
from cityops.ai.text import event_text
from cityops.catalog import components
from cityops.catalog.schemas import ComponentIn
from cityops.core import audit, clock
from cityops.core.actor import Actor, system_actor
from cityops.core.errors import Conflict
from cityops.events import catalogue
from cityops.events.models import Category, Event, Status
from cityops.org import service as org
from cityops.org.models import Department

MIN_EVENTS = 50  # fewer closed events than this: suggestions stay on keywords, and say so
MAX_EVENTS = 50_000  # the newest closed events learned from
HOLDOUT = 0.2  # the newest fifth is held out for the evaluation
CATALOGUE_COPIES = 2  # each category's name and keywords, as short documents, beside the history


@dataclass
class History:
    texts: list[str]
    labels: list[str]
    owners: list[str]


def vocabulary(session: Session) -> Vocabulary:
    view = catalogue.view(session)
    return Vocabulary.of((c.code, c.name, c.keywords) for c in view.by_code.values())


def closed_history(session: Session, *, limit: int = MAX_EVENTS) -> History:
    """Closed (not drill) events, oldest first: text, final category code and final owner's name."""
    rows = list(
        session.execute(
            select(Event.title, Event.description, Event.address, Category.code, Department.name)
            .join(Category, Category.id == Event.category_id)
            .outerjoin(Department, Department.id == Event.owner_department_id)
            .where(Event.status == Status.closed, Event.is_drill.is_(False))
            .order_by(Event.received_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return History(
        [event_text(t, d, a) for t, d, a, _, _ in rows],
        [str(c) for _, _, _, c, _ in rows],
        [str(o) if o else "镇街治理中心" for *_, o in rows],
    )


def closed_count(session: Session) -> int:
    stmt = select(func.count()).where(Event.status == Status.closed, Event.is_drill.is_(False))
    return int(session.scalar(stmt) or 0)


def _catalogue_docs(session: Session) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for cat in catalogue.view(session).by_code.values():
        doc = " ".join([cat.name, *cat.keywords])
        texts += [doc] * CATALOGUE_COPIES
        labels += [cat.code] * CATALOGUE_COPIES
    return texts, labels


def _owners(history: History) -> dict[str, dict[str, object]]:
    """Per category, the owner that most often closed it, and its share."""
    by_cat: dict[str, Counter[str]] = {}
    for label, owner in zip(history.labels, history.owners, strict=True):
        by_cat.setdefault(label, Counter())[owner] += 1
    out: dict[str, dict[str, object]] = {}
    for code, counts in by_cat.items():
        name, n = counts.most_common(1)[0]
        out[code] = {"name": name, "share": round(n / sum(counts.values()), 3)}
    return out


def _next_version(session: Session) -> str:
    n = int(session.scalar(select(func.count(AiModel.id))) or 0)
    return f"v{n + 1}"


def train_version(session: Session, actor: Actor, *, note: str = "", holdout: float = HOLDOUT) -> AiModel:
    """Train, evaluate and store one version (not live: an admin chooses the live one)."""
    history = closed_history(session)
    if len(history.labels) < MIN_EVENTS or len(set(history.labels)) < 2:
        raise Conflict(
            f"已办结事件不足{MIN_EVENTS}件，暂按关键词推荐 / fewer than {MIN_EVENTS} closed events: "
            "suggestions stay on keywords",
            closed=len(history.labels),
            code="ai.too_little_history",
        )
    cut = max(1, min(len(history.labels) - 1, round(len(history.labels) * (1 - holdout))))
    cat_texts, cat_labels = _catalogue_docs(session)
    trial = classifier.train(history.texts[:cut] + cat_texts, history.labels[:cut] + cat_labels)
    figures = classifier.evaluate(trial, vocabulary(session), history.texts[cut:], history.labels[cut:])
    final = classifier.train(history.texts + cat_texts, history.labels + cat_labels)
    now = clock.now()
    row = AiModel(
        kind="category",
        version=_next_version(session),
        trained_at=now,
        trained_by=actor.username[:80],
        n_events=len(history.labels),
        metrics={**figures, "n_train": cut},
        owners=_owners(history),
        blob=final.dumps(),
        live=False,
        note=note[:500],
    )
    session.add(row)
    session.flush()
    row.component_id = _register(session, row)
    audit.record(session, actor, "ai.model_trained", row, version=row.version, **_summary(row))
    return row


def _summary(row: AiModel) -> dict[str, object]:
    m = row.metrics or {}
    return {"top1": m.get("top1"), "top3": m.get("top3"), "macro_f1": m.get("macro_f1"), "n_events": row.n_events}


def figures_text(row: AiModel) -> str:
    m = row.metrics or {}
    base = m.get("baseline") or {}
    return (
        f"学习已办结事件 {row.n_events} 件；留出最新 {m.get('n_test', 0)} 件评估：首选准确率 {_pct(m.get('top1'))}，"
        f"前三命中率 {_pct(m.get('top3'))}，宏平均F1 {m.get('macro_f1', '—')}；关键词基线首选 {_pct(base.get('top1'))}"
    )


def _pct(value: object) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, int | float) else "—"


def _register(session: Session, row: AiModel) -> int | None:
    """The version in the capability-component registry (pending until an admin makes it live)."""
    city = org.city(session)
    if city is None:
        return None
    registrar = system_actor("system:ai", unit_path=city.path, unit_id=city.id)
    component = components.register(
        session,
        registrar,
        ComponentIn(
            code=f"ai.category.{row.version}",
            name=f"事件智能分类与派单推荐 {row.version}",
            kind="ai_model",
            description=figures_text(row),
            version=row.version,
            endpoint="/api/ai/suggest",
            used_by=["民呼我为", "事件分拨"],
        ),
    )
    _register_others(session, registrar)
    return component.id


# The AI's other models, registered once beside the first classifier version (they learn nothing per city).
OTHERS = (
    (
        "ai.duplicates.v1",
        "相似诉求识别（MinHash）",
        "字符二元组 MinHash 128 维；500 米、72 小时内，估计相似度 ≥ 0.25",
        "/api/ai/events/{id}",
    ),
    (
        "ai.hotspots.v1",
        "热点问题发现",
        "同一社区 3 天内同类相似反映 ≥ 5 件成热点，提出一次风险提示",
        "/api/ai/hotspots",
    ),
    (
        "ai.summary.v1",
        "事件与热点摘要",
        "OpenAI 兼容接口（发送前隐去手机号、身份证号），不可用时本地抽取式摘要",
        "/api/ai/summaries",
    ),
)


def _register_others(session: Session, registrar: Actor) -> None:
    from cityops.catalog.models import CapabilityComponent

    for code, name, description, endpoint in OTHERS:
        if session.scalar(select(CapabilityComponent.id).where(CapabilityComponent.code == code)) is None:
            data = ComponentIn(
                code=code, name=name, kind="ai_model", description=description, version="v1", endpoint=endpoint
            )
            components.register(session, registrar, data)


def retrain_job(session: Session, now: datetime) -> None:
    """Scheduled retraining: a new version when enough closed events arrived since the last one."""
    latest = session.scalars(select(AiModel).order_by(AiModel.id.desc()).limit(1)).first()
    count = closed_count(session)
    if count < MIN_EVENTS or (latest is not None and count < latest.n_events * 1.1 + 10):
        return
    train_version(session, system_actor("system:ai"), note="定时重训 / scheduled")
