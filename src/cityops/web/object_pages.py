"""The page of one object (a risk point, a hazard, a wage case …) and the forms on it, wired once: the object
is loaded by id within the user's scope, a form's change runs on it, and a refused change shows the same page
again with the reason beside the form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.web.deps import PageFormContext
from cityops.web.pages import change_or_show

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class PageOf(Protocol[T_contra]):
    """Renders the page of an object, with a refusal's reason and status when there is one."""

    def __call__(
        self,
        request: Request,
        session: Session,
        actor: Actor,
        obj: T_contra,
        /,
        error: str = "",
        status_code: int = 200,
    ) -> HTMLResponse: ...


@dataclass(frozen=True)
class ObjectPage(Generic[T]):
    access: Callable[[Session, Actor, int], T]  # the scoped load: another subtree's object is 404
    page: PageOf[T]
    url: str  # where a change goes on unless it names its page: `{id}` is the object's id

    def show(
        self, request: Request, session: Session, actor: Actor, obj_id: int, error: str = "", status_code: int = 200
    ) -> HTMLResponse:
        return self.page(request, session, actor, self.access(session, actor, obj_id), error, status_code)

    def change(self, form: PageFormContext, obj_id: int, change: Callable[[T], object]) -> Response:
        """Run `change` on the object: on to the URL it returns (a str), else to `url`; refused, the page again."""
        request, session, actor = form.request, form.session, form.actor
        return change_or_show(
            session,
            lambda: self.access(session, actor, obj_id),
            change,
            lambda obj, error, status: self.page(request, session, actor, obj, error=error, status_code=status),
            self.url.format(id=obj_id),
        )
