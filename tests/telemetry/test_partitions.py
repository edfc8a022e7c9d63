"""The fix history's daily partitions: made before a fix needs one, dropped past retention,
and a fix of any kept day finds its partition."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.services import partitions
from tests.conftest import Key
from tests.telemetry.helpers import send, vehicle


def _parts(session: Session) -> set[str]:
    return set(
        session.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'positions'::regclass"
            )
        )
    )


def test_a_fix_of_a_day_without_a_partition_gets_one(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    vid = vehicle(client, operator_key)
    at = datetime.now(UTC) - timedelta(days=20)
    name = f"positions_p{at:%Y%m%d}"
    fix = {"vehicle_id": vid, "time": at.isoformat(), "lng": 139.7, "lat": 35.6, "alt_m": 40.0}
    (result,) = send(client, operator_key, fix)["results"]
    assert result["status"] == "accepted", result
    with db_sessions() as session:
        assert name in _parts(session)
        stored = session.scalar(
            text(f'SELECT count(*) FROM "{name}" WHERE vehicle_id = :v'), {"v": vid}
        )
    assert stored == 1


def test_days_ahead_are_made_and_days_past_retention_dropped(
    db_sessions: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    old = date(2001, 2, 3)
    with db_sessions() as session, session.begin():
        session.execute(text("SELECT kukan_position_partition(:d)"), {"d": old})
        partitions.ensure_partitions(session, now=now)
        partitions.ensure_partitions(session, now=now)  # again: nothing new, no error
    with db_sessions() as session:
        have = _parts(session)
    for k in range(partitions.DAYS_AHEAD + 1):
        assert f"positions_p{(now + timedelta(days=k)):%Y%m%d}" in have
    assert "positions_p20010203" in have
    with db_sessions() as session, session.begin():
        dropped = partitions.drop_expired(session, now=now, retention_days=30)
    assert "positions_p20010203" in dropped
    assert f"positions_p{now:%Y%m%d}" not in dropped
    with db_sessions() as session:
        assert "positions_p20010203" not in _parts(session)
