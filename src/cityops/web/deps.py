"""What page routes depend on: the signed-in actor (without one, a redirect to /login) and — for every form
a page posts — its CSRF token checked in one place, before anything else of the form is looked at.

A form's route takes `form: PageForm` (staff), `SessionForm` (login, logout) or the citizen pages'
`CitizenForm` in place of the request, the session, the actor and a `csrf_token` field of its own; the
templates still send that field. tests/web/test_csrf_routes.py posts without a token to every page route that
changes something, so a route that takes its session some other way fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cityops.core.actor import Actor
from cityops.core.deps import OptionalActorDep, SessionDep
from cityops.web import csrf


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


async def page_actor(actor: OptionalActorDep) -> Actor:
    if actor is None:
        raise LoginRequired()
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


async def checked_form(request: Request) -> FormData:
    """The posted form, once its `csrf_token` field matches the CSRF cookie (else 403 Forbidden).

    Starlette keeps the parsed form on the request, so the route's own `Form()` fields read this same one.
    FastAPI resolves dependencies before it reports invalid fields: a wrong token answers 403 even when a
    field is invalid too (it would otherwise be a 422 that tells a forged post what the form expects)."""
    fields = await request.form()
    token = fields.get("csrf_token")
    csrf.check(request, token if isinstance(token, str) else None)
    return fields


CheckedForm = Annotated[FormData, Depends(checked_form)]


@dataclass(frozen=True)
class FormContext:
    """A posted form that passed its CSRF check: the request, its database session and the form's fields
    (routes whose field names vary read them here; the others declare their fields with `Form()`)."""

    request: Request
    session: Session
    fields: FormData


@dataclass(frozen=True)
class PageFormContext(FormContext):
    """A staff member's posted form: the context and the signed-in actor."""

    actor: Actor


async def session_form(request: Request, session: SessionDep, fields: CheckedForm) -> FormContext:
    return FormContext(request, session, fields)


async def page_form(request: Request, session: SessionDep, actor: PageActor, fields: CheckedForm) -> PageFormContext:
    # The actor first: a post without a login goes to /login (as a page does) rather than answering 403.
    return PageFormContext(request, session, fields, actor)


SessionForm = Annotated[FormContext, Depends(session_form)]
PageForm = Annotated[PageFormContext, Depends(page_form)]
