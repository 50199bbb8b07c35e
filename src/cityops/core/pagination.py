"""Limit/offset pagination with a total, the same everywhere: routes take `PageDep` and answer a subclass of
`Page[XRead]` (named `XPage`, so the OpenAPI schema names it) built with `XPage.of(items, total, params)`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core.db import AnySelect
from cityops.core.schemas import Schema

T = TypeVar("T")
MAX_LIMIT = 500


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[Any], total: int, params: PageParams, **extra: Any) -> Self:
        return cls(items=list(items), total=total, limit=params.limit, offset=params.offset, **extra)


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(  # async: resolved on the event loop, no thread hop (see core.deps)
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(session: Session, stmt: AnySelect, params: PageParams) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(params.limit).offset(params.offset)))
    return rows, int(total)
