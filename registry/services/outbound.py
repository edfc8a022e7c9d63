"""Outbound feeds of the whole event log (one reader at a time per feed, by lease): where
each has read to, and taking and handing back the lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.services.events import end_cursor


def lease(session: Session, name: str, *, now: datetime, lease_s: float) -> str | None:
    """Take feed ``name`` until ``now + lease_s`` if no one holds it; its cursor (a new
    feed starts at the log's end: it publishes from when it first ran)."""
    session.execute(
        text(
            "INSERT INTO outbound_cursors (name, cursor) VALUES (:n, :c)"
            " ON CONFLICT (name) DO NOTHING"
        ),
        {"n": name, "c": end_cursor(session)},
    )
    return session.scalar(
        text(
            "UPDATE outbound_cursors SET leased_until = :until WHERE name = :n"
            " AND (leased_until IS NULL OR leased_until < :now) RETURNING cursor"
        ),
        {"n": name, "now": now, "until": now + timedelta(seconds=lease_s)},
    )


def advance(session: Session, name: str, *, cursor: str, published: int) -> None:
    """Record how far the feed got and hand back its lease."""
    session.execute(
        text(
            "UPDATE outbound_cursors SET cursor = :c, published = published + :p,"
            " leased_until = NULL WHERE name = :n"
        ),
        {"n": name, "c": cursor, "p": published},
    )
