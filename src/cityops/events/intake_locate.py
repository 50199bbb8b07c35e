"""Intake, phase 2: where each report happened. Explicit unit ids and codes first, then one batched geo
resolution for points and addresses; a matter naming several units goes to their lowest common unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cityops.core.errors import CityOpsError
from cityops.events import routing
from cityops.events.intake_types import Candidate, IntakeItem, IntakeResult, fail
from cityops.org import geo

Located = dict[int, tuple[routing.UnitInfo, str]]  # batch index -> (unit, the reason, in Chinese and English)


def _bad(field: str, reason: str) -> dict[str, Any]:
    return {"error": "Invalid", "field": field, "reason": reason}


def locate(
    session: Session, ctx: routing.RoutingContext, fresh: list[Candidate], results: list[IntakeResult], *, triage: bool
) -> Located:
    codes = {it.unit_code for _, it, _ in fresh if it.unit_code} | {
        c for _, it, _ in fresh for c in it.related_unit_codes
    }
    by_code = _ByCode(ctx, {c: ctx.codes[c] for c in codes if c in ctx.codes}, results)
    located = _resolve_places(session, ctx, fresh, results, triage=triage)
    for i, it, _ in fresh:
        by_code.locate(i, it, located)
        if i in located and it.related_unit_codes:
            by_code.span(i, it, located)
    return located


def _resolve_places(
    session: Session, ctx: routing.RoutingContext, fresh: list[Candidate], results: list[IntakeResult], *, triage: bool
) -> Located:
    """One batched geo resolution for the items located by a point or an address."""
    to_resolve = [(i, it) for i, it, _ in fresh if not it.unit_code and not it.unit_id]
    resolved = geo.resolve_many(
        session, [(it.lon, it.lat, it.address or None) for _, it in to_resolve], fallback=triage
    )
    located: Located = {}
    for (i, _), res in zip(to_resolve, resolved, strict=True):
        if isinstance(res, CityOpsError):
            results[i].error = fail(res)
        elif res.unit_id in ctx.units:
            located[i] = (ctx.unit(res.unit_id), f"{res.reason}（置信度 {res.confidence:.2f}）")
    return located


@dataclass
class _ByCode:
    """Items that name their unit: by id (a device's unit) or by code, and matters spanning several."""

    ctx: routing.RoutingContext
    unit_ids: dict[str, int]  # the batch's unit codes in force -> unit id
    results: list[IntakeResult]

    def locate(self, i: int, it: IntakeItem, located: Located) -> None:
        ctx = self.ctx
        if it.unit_id:
            if it.unit_id not in ctx.units:
                self.results[i].error = _bad("unit_id", "未知单位 / unknown unit_id")
            else:
                located[i] = (ctx.unit(it.unit_id), "按设备所属单位定位 / located by the device's unit")
        elif it.unit_code:
            uid = self.unit_ids.get(it.unit_code)
            if uid is None or uid not in ctx.units:
                self.results[i].error = _bad("unit_code", "未知单位代码 / unknown unit_code")
            else:
                located[i] = (ctx.unit(uid), f"按上报单位定位 / located by unit code {it.unit_code}")

    def span(self, i: int, it: IntakeItem, located: Located) -> None:
        """A matter naming several units goes to their lowest common unit."""
        bad = [c for c in it.related_unit_codes if c not in self.unit_ids]
        if bad:
            self.results[i].error = _bad("related_unit_codes", f"未知单位代码 / unknown unit code {bad[0]}")
            return
        spanning = [located[i][0], *(self.ctx.unit(self.unit_ids[c]) for c in it.related_unit_codes)]
        common = self.ctx.lowest_common(spanning)
        located[i] = (
            common,
            f"跨{len(spanning)}个单位，交共同上级{common.name} / spans units: lowest common unit {common.name}",
        )
