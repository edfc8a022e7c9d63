"""The daily partitions of the fix history: made ahead of time, dropped past retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.models import PARTITION_PREFIX

DAYS_AHEAD = 2
"""The sweeper makes the partitions of today and this many days after."""
_known: set[date] = set()
"""Days whose partition this process has seen committed (a cache: a miss asks again)."""


def ensure_days(session: Session, days: set[date]) -> None:
    """Make sure each UTC day in ``days`` has its partition before fixes are inserted."""
    missing = days - _known
    if not missing:
        return
    _known.update(d for d in (_day(n) for n in _existing(session)) if d is not None)
    for day in sorted(missing - _known):
        session.execute(text("SELECT kukan_position_partition(:d)"), {"d": day})


def _existing(session: Session) -> list[str]:
    return list(
        session.scalars(
            text("SELECT relname FROM pg_class WHERE relname LIKE :p AND relkind = 'r'"),
            {"p": PARTITION_PREFIX + "%"},
        )
    )


def ensure_partitions(session: Session, *, now: datetime) -> int:
    """Create the partitions of today and the next days ahead, so that the first fixes of
    a day rarely wait for one; the number of days covered."""
    today = now.astimezone(UTC).date()
    days = {today + timedelta(days=k) for k in range(DAYS_AHEAD + 1)}
    ensure_days(session, days)
    return len(days)


def drop_expired(session: Session, *, now: datetime, retention_days: int) -> list[str]:
    """Drop the partitions whose whole day is older than the retention; their names."""
    cutoff = now.astimezone(UTC).date() - timedelta(days=retention_days)
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'positions'::regclass AND c.relname LIKE :p"
        ),
        {"p": PARTITION_PREFIX + "%"},
    ).all()
    dropped = []
    for name in sorted(names):
        day = _day(name)
        if day is not None and day < cutoff:
            session.execute(text(f'DROP TABLE "{name}"'))
            dropped.append(name)
    return dropped


def _day(name: str) -> date | None:
    try:
        return datetime.strptime(name[len(PARTITION_PREFIX) :], "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None
