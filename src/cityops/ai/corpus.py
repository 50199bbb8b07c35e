"""The complaint corpus written by the cityops authors (ai/corpus.tsv), and closed-event history made
from it through the real intake and closure services — for `cityops bench ai`, the tests and the demo.

Texts are split per category by position: the first ones make the history the model learns from, the
last `held_out` ones only ever appear in the newest events, so an evaluation on the newest closed events
measures texts the model has never seen."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events import catalogue
from cityops.events import service as events
from cityops.events.bulk import Closure, close_many
from cityops.events.intake import IntakeItem, intake_many

CORPUS = Path(__file__).with_name("corpus.tsv")
# The 民呼我为 bundle's catalogue names every category the corpus is written for.
CATALOGUE = Path(__file__).parents[1] / "data" / "bundles" / "minhu" / "categories.yaml"
OPENINGS = ("", "", "你好，", "麻烦管一下，", "我要反映一个问题：", "投诉：", "请相关部门看看，", "12345您好，")
ENDINGS = ("", "", "，希望尽快处理", "，已经好几天了", "。谢谢！", "，大家意见很大", "，请尽快派人来看看", "！！")


@dataclass(frozen=True)
class Text:
    code: str
    text: str


def load(path: Path = CORPUS) -> list[Text]:
    """The corpus with full category codes ("city_appearance.street_vending"); the file keeps the short ones."""
    codes = [str(c["code"]) for c in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")) if c.get("parent")]
    full = {code.split(".", 1)[1]: code for code in codes}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, text = line.split("\t", 1)
            rows.append(Text(full.get(code.strip(), code.strip()), text.strip()))
    return rows


def split(rows: list[Text], held_out: int = 3) -> tuple[list[Text], list[Text]]:
    """(history texts, unseen texts): the last `held_out` texts of each category are kept apart."""
    by_code: dict[str, list[Text]] = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row)
    seen, unseen = [], []
    for items in by_code.values():
        seen += items[:-held_out]
        unseen += items[-held_out:]
    return seen, unseen


def variant(text: str, rng: random.Random) -> str:
    """The same complaint as another resident might send it: an opening, an ending, a dropped character."""
    body = text
    if len(body) > 12 and rng.random() < 0.3:
        i = rng.randrange(2, len(body) - 2)
        body = body[:i] + body[i + 1 :]
    return rng.choice(OPENINGS) + body + rng.choice(ENDINGS)


def _attributes(session: Session, code: str) -> dict[str, object]:
    cat = catalogue.view(session).by_code[code]
    return {f["code"]: (1 if f.get("type") == "number" else "不详") for f in cat.required_fields}


def make_history(
    session: Session,
    actor: Actor,
    rows: list[Text],
    *,
    unit_ids: list[int],
    start: datetime,
    copies: int = 3,
    first_wrong: float = 0.1,
    seed: int = 23,
) -> list[int]:
    """Closed events from `rows` (each `copies` times, varied), received an hour apart from `start` in the
    given units. A share `first_wrong` arrives under a wrong category and is corrected (改类) before it
    closes, so what the model learns is the final category."""
    rng = random.Random(seed)  # noqa: S311 (varied texts, not cryptography)
    codes = sorted({r.code for r in rows})
    plan = [(r, rng.choice(unit_ids)) for r in rows for _ in range(copies)]
    rng.shuffle(plan)
    items, truth = [], []
    for i, (row, unit_id) in enumerate(plan):
        wrong = rng.random() < first_wrong
        shown = rng.choice([c for c in codes if c != row.code]) if wrong and len(codes) > 1 else row.code
        items.append(
            IntakeItem(
                category=shown,
                description=variant(row.text, rng),
                source="import",
                unit_id=unit_id,
                attributes=_attributes(session, shown),
                received_at=start + timedelta(hours=i),
            )
        )
        truth.append(row.code)
    results = intake_many(session, actor, items)
    ids = []
    for result, item, code in zip(results, items, truth, strict=True):
        if result.event_id is None:
            continue
        ids.append(result.event_id)
        if item.category != code:
            event = events.access_event(session, actor, result.event_id)
            events.act(session, actor, event, "recategorize", events.ActionInput(category=code, note="更正分类"))
    closures = [Closure(eid, (items[0].received_at or start) + timedelta(hours=len(items) + 1)) for eid in ids]
    close_many(session, actor, closures, note="历史办结 / closed history")
    return ids
