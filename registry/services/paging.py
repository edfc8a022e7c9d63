"""Limit/offset pages: one query fetches a page plus one row to know whether more follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the offset of the next page (None at the end)."""

    items: list[T]
    next_offset: int | None


def fetch_page(*, session: Session, query: Any, limit: int, offset: int) -> Page[Any]:
    """Run an ordered ``select`` for one page of ``limit`` rows from ``offset``."""
    rows = list(session.scalars(query.limit(limit + 1).offset(offset)))
    more = len(rows) > limit
    return Page(items=rows[:limit], next_offset=offset + limit if more else None)
