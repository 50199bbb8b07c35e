"""应急预案 in the browser for a centre's duty officers and leaders: the plans that would run at their unit,
starting one by hand (a drill by default: nothing leaves the system), the runs they can see, and a run's
page where its tasks are done or skipped and the run is closed. Runs for an event are shown on the event's
page as well; a run started for a unit (a drill) has only this one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.core.deps import SessionDep, TransactionalRoute
from cityops.org.models import OrgUnit
from cityops.plans import activation, runs
from cityops.plans import service as plans
from cityops.plans.models import PlanRun
from cityops.web.deps import PageActor, PageForm
from cityops.web.pages import change_or_show, local_url, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
RECENT = 50


def _startable(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(key, name) of the plans that would run at the actor's unit, for those who may start one."""
    if not actor.has(*activation.RUNNERS) or actor.unit_id is None:
        return []
    found = ((key, plans.resolve(session, key, actor.unit_path)) for key in plans.keys(session))
    return sorted((key, r.plan.name) for key, r in found if r is not None)


def _recent(session: Session, actor: Actor) -> list[dict[str, Any]]:
    stmt = select(PlanRun, OrgUnit.name).join(OrgUnit, OrgUnit.id == PlanRun.unit_id)
    rows = session.execute(stmt.where(runs.run_visible(actor)).order_by(PlanRun.id.desc()).limit(RECENT))
    return [{"run": run, "unit_name": unit_name} for run, unit_name in rows]


def _plans_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    error: str = "",
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "plans.html",
        status_code=status_code,
        actor=actor,
        startable=_startable(session, actor),
        recent=_recent(session, actor),
        error=error,
        form=form or {"drill": True},
    )


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return _plans_page(request, session, actor)


@router.post("/plans/start", response_class=HTMLResponse)
def start_plan(
    form: PageForm,
    plan_key: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=300)] = "",
    drill: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Start a plan for the officer's own unit; a drill unless the box is cleared (a real run sends SMS)."""
    typed = {"plan_key": plan_key, "reason": reason.strip(), "drill": drill == "on"}

    def change(_nothing: None) -> str:
        run = activation.activate(
            form.session,
            form.actor,
            plan_key,
            event_id=None,
            unit_id=form.actor.unit_id,
            drill=bool(typed["drill"]),
            reason=str(typed["reason"]) or ("手动启动演练" if typed["drill"] else "手动启动"),
        )
        return f"/plan-runs/{run.id}"

    def show(_: None, error: str, status: int) -> Response:
        return _plans_page(form.request, form.session, form.actor, error=error, form=typed, status_code=status)

    return change_or_show(form.session, lambda: None, change, show, "/plans")


@router.get("/plan-runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: int, request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    run = runs.access_run(session, actor, run_id)
    return _run_page(request, session, actor, run)


def _run_page(
    request: Request, session: Session, actor: Actor, run: PlanRun, *, error: str = "", status_code: int = 200
) -> HTMLResponse:
    steps = runs.steps_of(session, run.id)
    open_run = run.status == "open"
    actionable = {st.id for st in steps if open_run and st.status == "pending" and runs.may_act(actor, st)}
    unit = session.get(OrgUnit, run.unit_id)
    return render(
        request,
        "plan_run.html",
        status_code=status_code,
        actor=actor,
        run=run,
        steps=steps,
        actionable=actionable,
        unit_name=unit.name if unit else "",
        may_close=open_run and actor.has(*activation.RUNNERS) and actor.sees_path(run.unit_path),
        error=error,
    )


@router.post("/plan-runs/{run_id}/steps/{step_id}", response_class=HTMLResponse)
def finish_step(
    run_id: int,
    step_id: int,
    form: PageForm,
    action: Annotated[str, Form(pattern="^(done|skip)$")],
    note: Annotated[str, Form(max_length=400)] = "",
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A plan task completed or skipped, from the event's page or the run's: back to that page; a refusal
    (a skip without its reason) is shown on the run's page beside its steps."""

    def load() -> PlanRun:
        return runs.access_run(form.session, form.actor, run_id)

    def change(run: PlanRun) -> str:
        runs.finish_step(form.session, form.actor, run, step_id, action=action, note=note, checklist=None)
        return local_url(back, f"/plan-runs/{run_id}")

    def show(run: PlanRun, error: str, status: int) -> Response:
        return _run_page(form.request, form.session, form.actor, run, error=error, status_code=status)

    return change_or_show(form.session, load, change, show, f"/plan-runs/{run_id}")


@router.post("/plan-runs/{run_id}/close", response_class=HTMLResponse)
def close_run(run_id: int, form: PageForm, note: Annotated[str, Form(max_length=400)] = "") -> Response:
    def load() -> PlanRun:
        return runs.access_run(form.session, form.actor, run_id)

    def change(run: PlanRun) -> str:
        runs.close_run(form.session, form.actor, run, note.strip())
        return f"/plan-runs/{run_id}"

    def show(run: PlanRun, error: str, status: int) -> Response:
        return _run_page(form.request, form.session, form.actor, run, error=error, status_code=status)

    return change_or_show(form.session, load, change, show, f"/plan-runs/{run_id}")
