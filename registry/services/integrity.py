"""Translate database integrity errors into registry errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.errors import Conflict, InvalidInput


@contextmanager
def integrity_as_domain(session: Session, *, what: str) -> Iterator[None]:
    """Flush inside a savepoint; unique violations become Conflict, checks InvalidInput."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        code = getattr(exc.orig, "sqlstate", None)
        diag = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "?"
        if code == "23505":
            raise Conflict(f"{what} already exists ({diag})") from None
        raise InvalidInput(f"{what} violates the constraint {diag}") from None
