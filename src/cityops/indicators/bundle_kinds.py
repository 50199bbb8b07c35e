"""Indicators (with the board and runway each sits on) and quoted external values as app-bundle content.
A target a city set on an indicator is kept on upgrade by the installer's three-way merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cityops.core import audit, clock
from cityops.core.actor import Actor
from cityops.core.bundles import Item, KindHandler, in_use
from cityops.indicators.models import Board, Indicator, IndicatorValue, RiskPrompt, Runway
from cityops.indicators.service import assess
from cityops.org import service as org

FIELDS = ("name", "name_en", "kind", "unit", "period", "direction", "target", "drill_level", "source")


def _city_id(session: Session) -> int:
    city = org.city(session)
    if city is None:
        raise RuntimeError("import the org tree before installing indicators")
    return city.id


def read(session: Session, keys: list[str]) -> dict[str, Item]:
    rows = session.execute(
        select(Indicator, Runway, Board)
        .join(Runway, Runway.id == Indicator.runway_id)
        .join(Board, Board.id == Runway.board_id)
        .where(Indicator.code.in_(keys))
    ).all()
    out: dict[str, Item] = {}
    for ind, r, b in rows:
        item: dict[str, Any] = {"code": ind.code, "board": b.code, "board_name": b.name, "board_sort": b.sort}
        item |= {"runway": r.code, "runway_name": r.name, "runway_sort": r.sort}
        out[ind.code] = item | {f: getattr(ind, f) for f in FIELDS}
    return out


class _Places:
    """Boards and runways by code, created as the indicators name them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.boards = {b.code: b for b in session.scalars(select(Board))}
        self.runways = {r.code: r for r in session.scalars(select(Runway))}

    def runway(self, item: Item) -> Runway:
        board = self.boards.get(item["board"])
        if board is None:
            board = self.boards[item["board"]] = Board(code=item["board"], name=item["board_name"])
            self.session.add(board)
            self.session.flush()
        board.name, board.sort = item["board_name"], item.get("board_sort") or 0
        runway = self.runways.get(item["runway"])
        if runway is None:
            runway = Runway(board_id=board.id, code=item["runway"], name=item["runway_name"])
            self.runways[item["runway"]] = runway
            self.session.add(runway)
            self.session.flush()
        runway.board_id, runway.name, runway.sort = board.id, item["runway_name"], item.get("runway_sort") or 0
        return runway


def write(session: Session, actor: Actor, items: list[Item]) -> None:
    places, city_id = _Places(session), _city_id(session)
    have = {i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_([i["code"] for i in items])))}
    for item in items:
        runway = places.runway(item)
        ind = have.get(item["code"])
        if ind is None:
            ind = Indicator(code=item["code"], owner_unit_id=city_id, green_score=1.0, amber_score=0.9)
            session.add(ind)
        ind.runway_id = runway.id
        for f in FIELDS:
            setattr(ind, f, item.get(f) if f != "name_en" else item.get(f) or "")
    session.flush()


def dependents(session: Session, keys: list[str]) -> list[str]:
    says = "「{name}」未处理的风险提示 {n} 条 / {n} open risk prompts of {name}"
    on = RiskPrompt.indicator_id == Indicator.id
    return in_use(session, keys, Indicator, RiskPrompt, on, RiskPrompt.status == "open", says=says)


def remove(session: Session, actor: Actor, keys: list[str]) -> None:
    ids = list(session.scalars(select(Indicator.id).where(Indicator.code.in_(keys))))
    runways = set(session.scalars(select(Indicator.runway_id).where(Indicator.id.in_(ids))))
    session.execute(delete(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids)))
    session.execute(delete(RiskPrompt).where(RiskPrompt.indicator_id.in_(ids)))
    session.execute(delete(Indicator).where(Indicator.id.in_(ids)))
    for runway_id in runways:  # a runway (and board) left empty goes too
        if session.scalar(select(Indicator.id).where(Indicator.runway_id == runway_id).limit(1)) is None:
            board_id = session.scalar(select(Runway.board_id).where(Runway.id == runway_id))
            session.execute(delete(Runway).where(Runway.id == runway_id))
            if session.scalar(select(Runway.id).where(Runway.board_id == board_id).limit(1)) is None:
                session.execute(delete(Board).where(Board.id == board_id))
    session.flush()
    audit.record(session, actor, "indicators.removed", ("indicator", "*"), codes=keys[:50], count=len(keys))


# -- external values with their quotes (targets and results from the reports) --------------------------
VALUE_FIELDS = ("value", "target", "comparator", "provenance")


def read_values(session: Session, keys: list[str]) -> dict[str, Item]:
    city_id = _city_id(session)
    wanted = {k.rpartition("@")[0] for k in keys}
    out: dict[str, Item] = {}
    rows = session.execute(
        select(Indicator.code, IndicatorValue)
        .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
        .where(Indicator.code.in_(wanted), IndicatorValue.unit_id == city_id)
    ).all()
    for code, v in rows:
        key = f"{code}@{v.period_key}"
        out[key] = {"code": key, "indicator": code, "period_key": v.period_key} | {
            f: getattr(v, f) for f in VALUE_FIELDS
        }
    return {k: v for k, v in out.items() if k in set(keys)}


def write_values(session: Session, actor: Actor, items: list[Item]) -> None:
    city_id, now = _city_id(session), clock.now()
    inds = {
        i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_({i["indicator"] for i in items})))
    }
    have = {
        (v.indicator_id, v.period_key): v
        for v in session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.unit_id == city_id, IndicatorValue.indicator_id.in_([i.id for i in inds.values()])
            )
        )
    }
    for item in items:
        ind = inds[item["indicator"]]
        row = have.get((ind.id, item["period_key"]))
        if row is None:
            row = IndicatorValue(indicator_id=ind.id, unit_id=city_id, period_key=item["period_key"])
            session.add(row)
        row.value, row.target = item.get("value"), item.get("target")
        row.comparator, row.provenance = item.get("comparator") or "=", item.get("provenance") or {}
        row.score, row.status = assess(row.value, row.target, ind.direction, ind.green_score, ind.amber_score)
        row.computed_at = now
    session.flush()


def _no_dependents(session: Session, keys: list[str]) -> list[str]:
    return []


def remove_values(session: Session, actor: Actor, keys: list[str]) -> None:
    city_id = _city_id(session)
    for key in keys:
        code, _, period = key.rpartition("@")
        ind_id = session.scalar(select(Indicator.id).where(Indicator.code == code))
        session.execute(
            delete(IndicatorValue).where(
                IndicatorValue.indicator_id == ind_id,
                IndicatorValue.unit_id == city_id,
                IndicatorValue.period_key == period,
            )
        )
    session.flush()


def kinds() -> list[KindHandler]:
    return [
        KindHandler("indicators", "指标与跑道", "Indicators and runways", 60, read, write, dependents, remove),
        KindHandler(
            "indicator_values",
            "指标目标与实绩（附原文）",
            "Quoted targets and results",
            70,
            read_values,
            write_values,
            _no_dependents,
            remove_values,
        ),
    ]
