"""Runway pages: boards → runways with status colours, and one indicator with its trend, target line,
sources and drill-down by unit."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.indicators.boards import boards_for, indicator_detail
from cityops.org import service as org
from cityops.web.deps import PageActor
from cityops.web.i18n import lang_of
from cityops.web.pages import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/runways", response_class=HTMLResponse)
def runways_page(
    request: Request, session: SessionDep, actor: PageActor, unit_id: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    unit = org.access_unit(session, actor, unit_id if unit_id is not None else (actor.unit_id or 0))
    boards = boards_for(session, actor, unit, en=lang_of(request) == "en")
    return render(request, "runways.html", actor=actor, unit=unit, boards=boards)


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
def indicator_page(
    indicator_id: int,
    request: Request,
    session: SessionDep,
    actor: PageActor,
    unit_id: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    detail = indicator_detail(session, actor, indicator_id, unit_id)
    return render(
        request, "indicator.html", actor=actor, ind=detail, detail_json=json.dumps(detail, ensure_ascii=False)
    )
