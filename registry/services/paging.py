"""Keyset pages: rows after an opaque cursor, stable while rows are inserted between reads.

A list is ordered by a unique key of columns (e.g. ``(created_at, id)``); the cursor of the
next page encodes the key of the last row returned, and the next page is the rows whose key
is greater. One query fetches a page plus one row to know whether more follow.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from registry.errors import InvalidInput

T = TypeVar("T")

CURSOR_FIELD = "after"
"""The query field that carries a cursor, named in the error for a bad one."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the cursor of the next page (None at the end)."""

    items: list[T]
    after: str | None


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    bad = InvalidInput(f"{CURSOR_FIELD} is not a cursor of this list", field=CURSOR_FIELD)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(plain, list) or len(plain) != len(keys):
        raise bad
    values: list[Any] = []
    for key, text in zip(keys, plain, strict=True):
        if not isinstance(text, str):
            raise bad
        kind = key.type.python_type
        try:
            if kind is datetime:
                value: Any = datetime.fromisoformat(text)
                if value.tzinfo is None:
                    raise bad
            elif kind is uuid.UUID:
                value = uuid.UUID(text)
            elif kind is str:
                value = text
            else:
                value = kind(text)
        except ValueError:
            raise bad from None
        if isinstance(value, str) and "\x00" in value:
            raise bad
        values.append(value)
    return values


def keyset_page(
    *,
    session: Session,
    query: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    limit: int,
    after: str | None,
) -> Page[Any]:
    """Run ``query`` ordered by the unique ``keys`` for ``limit`` rows after ``after``.

    ``after`` is the ``Page.after`` of the previous page (None for the first); a cursor
    that does not decode to values of ``keys`` is ``InvalidInput`` naming ``after``.
    """
    if limit < 1:
        raise InvalidInput(f"limit must be >= 1, got {limit}", field="limit")
    if after is not None:
        query = query.where(tuple_(*keys) > tuple(_decode(after, keys)))
    query = query.order_by(*keys).limit(limit + 1)
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return Page(items=rows, after=None)
    last = rows[limit - 1]
    return Page(items=rows[:limit], after=_encode([getattr(last, k.key) for k in keys]))
