"""感知告警 in the browser: the alarm list (filters by severity, type, sector and status; acknowledge and
clear with a note, ThingsBoard's active/cleared × acknowledged model) and a device's page (latest value,
rules, recent alarms, a chart of its rollups over a chosen time range). Same services as the API."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.sensing import alarms, service, views
from cityops.sensing.models import Alarm, AlarmStatus
from cityops.web.deps import PageActor, PageForm
from cityops.web.i18n import lang_of
from cityops.web.pages import change_or_show, render
from cityops.web.params import query_string

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
NAMES = {"severity": views.SEVERITY_NAME, "status": views.STATUS_NAME, "ranges": views.RANGES}
STATUSES = ["active", "cleared", *[s.value for s in AlarmStatus]]


def _list_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    f: views.AlarmFilter,
    page: int,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rows, more = views.alarm_list(session, actor, f, page)
    query = query_string({"severity": f.severity, "type": f.type, "sector": f.sector, "status": f.status})
    return render(
        request,
        "sensing_alarms.html",
        status_code=status_code,
        actor=actor,
        items=rows,
        more=more,
        page=page,
        query=query,
        f=f,
        types=views.alarm_types(session, actor),
        sectors=list(views.SECTOR_NAME),
        statuses=STATUSES,
        may_work=actor.has(*views.WORKERS),
        error=error,
        sensing_names=NAMES,
    )


@router.get("/sensing/alarms", response_class=HTMLResponse)
def alarm_list_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    severity: Annotated[str, Query(max_length=16)] = "",
    type: Annotated[str, Query(max_length=60)] = "",
    sector: Annotated[str, Query(max_length=4)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    f = views.AlarmFilter(
        severity=severity if severity in views.SEVERITY_NAME else None,
        type=type or None,
        sector=sector if sector in views.SECTOR_NAME else None,
        status=status if status in STATUSES else None,
    )
    return _list_page(request, session, actor, f, page)


def _back(back: str) -> str:
    """Where to return after an action: the list with its filters (only our own path)."""
    return back if back.startswith("/sensing/alarms") and "//" not in back else "/sensing/alarms"


@router.post("/sensing/alarms/{alarm_id}/{action}", response_class=HTMLResponse)
def work_alarm(
    alarm_id: int,
    action: str,
    form: PageForm,
    note: Annotated[str, Form(max_length=alarms.MAX_NOTE)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """确认 (acknowledge) or 清除 (clear) one alarm with an optional note, then back to the list; a refused
    action shows the list again with the reason."""

    def change(alarm: Alarm) -> None:
        if action in alarms.ACTIONS:  # any other path segment just goes back to the list
            alarms.act(form.session, form.actor, alarm, action, note)

    return change_or_show(
        form.session,
        lambda: service.access_alarm(form.session, form.actor, alarm_id),
        change,
        lambda _, error, status: _list_page(
            form.request, form.session, form.actor, views.AlarmFilter(), 1, error=error, status_code=status
        ),
        _back(back),
    )


@router.get("/sensing/devices/{device_id}", response_class=HTMLResponse)
def device_page(
    device_id: int,
    request: Request,
    session: SessionDep,
    actor: PageActor,
    range: Annotated[str, Query(max_length=8)] = "24h",
) -> HTMLResponse:
    device = service.access_device(session, actor, device_id)
    data = views.device_page(session, device, range)
    recent, _ = views.alarm_list(session, actor, views.AlarmFilter(device_id=device.id))
    en = lang_of(request) == "en"
    chart = {
        "series": data["series"],
        "unit": data["type"].unit,
        "period": data["period"],
        "range": data["range"],
        "labels": ["mean", "min", "max"] if en else ["均值", "最小值", "最大值"],
    }
    return render(
        request,
        "sensing_device.html",
        actor=actor,
        d=data,
        alarms=recent[:20],
        chart_json=json.dumps(chart, ensure_ascii=False),
        sensing_names=NAMES,
    )
