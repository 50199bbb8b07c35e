"""`cityops bench ai`: the category classifier trained on closed events vs the keyword baseline, on the
newest closed events — whose texts (the last three of each category in our corpus) it never saw."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai import corpus, training
from cityops.bench import BenchResult
from cityops.core.actor import system_actor
from cityops.core.db import session_scope
from cityops.core.outbox import OutboxMessage
from cityops.org.models import OrgLevel, OrgUnit

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def run(factory: sessionmaker[Session], *, copies: int = 3, held_out: int = 3) -> list[BenchResult]:
    seen, unseen = corpus.split(corpus.load(), held_out=held_out)
    actor = system_actor("system:bench")
    with session_scope(factory) as s:
        units = list(s.scalars(select(OrgUnit.id).where(OrgUnit.level == OrgLevel.community).limit(40)))
        corpus.make_history(s, actor, seen, unit_ids=units, start=START, copies=copies)
        later = START.replace(month=3)
        corpus.make_history(s, actor, unseen, unit_ids=units, start=later, copies=1, first_wrong=0, seed=5)
        s.execute(delete(OutboxMessage))
    with session_scope(factory) as s:
        total = training.closed_count(s)
        t0 = time.perf_counter()
        model = training.train_version(s, actor, holdout=len(unseen) / total)
        seconds = time.perf_counter() - t0
        m, n_events = dict(model.metrics), model.n_events
    base = m["baseline"]
    notes = (
        f"{n_events} closed events ({len(seen)} texts ×{copies} as history, {len(unseen)} unseen texts newest); "
        f"held out {m['n_test']}; trained and evaluated in {seconds:.1f} s"
    )
    figures = [("top-1 accuracy", "top1"), ("top-3 accuracy", "top3"), ("macro-F1", "macro_f1")]
    return [
        BenchResult(
            name=f"ai: category {label}",
            what=f"{label} ×100 of the classifier (char 1–2-grams + logistic SGD) on unseen texts",
            ours=m[key] * 100,
            baseline=base[key] * 100,
            unit="%" if key != "macro_f1" else "×100",
            baseline_what="catalogue keyword matching on the same texts",
            notes=notes if key == "top1" else "",
        )
        for label, key in figures
    ]
