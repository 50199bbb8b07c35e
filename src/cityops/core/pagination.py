"""Limit/offset pagination with a total, the same everywhere."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cityops.core.db import AnySelect

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


def paginate(session: Session, stmt: AnySelect, params: PageParams) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(params.limit).offset(params.offset)))
    return rows, int(total)
