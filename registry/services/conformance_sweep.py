"""The conformance sweeper: what fixes alone cannot show — silence, fixes slower than the
minimum rate, time outside with no new fix, and flights whose window is over. One sweeper
works at a time (a transaction-level advisory lock); the others skip their turn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.services.conformance import Observation, record_transition, swept, tell
from registry.services.telemetry_checks import TelemetryPolicy
from registry.services.telemetry_rate import check_rates

SWEEP_LOCK = 0x6B756B616E01
"""The advisory lock key of the sweeper ("kukan" + 1)."""
_OPEN = text(
    """
    SELECT c.reservation_id, c.vehicle_id, c.state, c.outside_since, c.last_fix_time,
        c.last_received_at, c.lost, r.principal_id, r.operator_id, r.state, r.time_end,
        l.lng, l.lat, l.alt_m
    FROM conformance c
    JOIN reservations r ON r.id = c.reservation_id
    LEFT JOIN vehicle_latest l ON l.vehicle_id = c.vehicle_id
    WHERE c.state <> 'ended'
      AND ((c.last_received_at < :lost_before AND NOT c.lost)
        OR (c.state = 'nonconforming' AND c.outside_since <= :contingent_before)
        OR r.state NOT IN ('accepted', 'activated') OR r.time_end < :over_before)
      AND (CAST(:after AS uuid) IS NULL OR c.reservation_id > CAST(:after AS uuid))
    ORDER BY c.reservation_id
    LIMIT :limit
    FOR UPDATE OF c SKIP LOCKED
    """
)
"""The open rows with something due: silence not yet told, time outside past the limit,
or a reservation over (only those are locked, so fixes of the others never wait)."""


@dataclass
class SweepReport:
    """What one sweep did."""

    rows: int = 0
    """Open rows with something due that this pass handled."""
    last: uuid.UUID | None = None
    """The last of them (the next pass of a sweep in chunks starts after it)."""
    lost: int = 0
    slow: int = 0
    contingent: int = 0
    ended: int = 0
    events: list[str] = field(default_factory=list)


CHUNK = 200
"""Rows one pass handles at most: a mass silence is told in short transactions, which never
hold the event log back for long."""


def sweep(
    session: Session,
    *,
    now: datetime,
    policy: TelemetryPolicy,
    after: uuid.UUID | None = None,
    limit: int = CHUNK,
) -> SweepReport | None:
    """One pass over the open conformance rows due at ``now`` (at most ``limit``, after
    reservation ``after``), and the rate check; None when another sweeper holds the lock."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK}):
        return None
    report = SweepReport()
    lost_before = now - timedelta(seconds=policy.lost_after_s)
    due = {
        "lost_before": lost_before,
        "contingent_before": now - timedelta(seconds=policy.contingent_after_s),
        "over_before": now - timedelta(seconds=policy.tolerance_s),
        "after": after,
        "limit": limit,
    }
    rows = session.execute(_OPEN, due).all()
    report.rows = len(rows)
    report.last = rows[-1][0] if rows else None
    for row in rows:
        (rid, vid, state, outside_since, last_fix, last_recv, lost, pid, oid, rstate, end) = row[
            :11
        ]
        obs = swept(
            reservation_id=rid,
            vehicle_id=vid,
            principal_id=pid,
            operator_id=oid,
            now=now,
            position=(row[11], row[12], row[13]),
        )
        silent = last_recv < lost_before
        over = (
            rstate not in ("accepted", "activated")
            or end + timedelta(seconds=policy.tolerance_s) < now
        )
        if over and silent:
            why = (
                "the window is over"
                if rstate in ("accepted", "activated")
                else f"reservation {rstate}"
            )
            _move(session, rid, state, "ended", now, why, obs)
            report.ended += 1
            continue
        if silent and not lost:
            session.execute(
                text("UPDATE conformance SET lost = true WHERE reservation_id = :r"), {"r": rid}
            )
            data = {
                "reservation_id": str(rid),
                "vehicle_id": str(vid),
                "state": state,
                "last_fix_time": last_fix.isoformat(),
                "silent_s": round((now - last_recv).total_seconds(), 3),
                "position": {"lng": obs.lng, "lat": obs.lat, "alt_m": obs.alt_m},
            }
            tell(session, "kukan.telemetry.lost", obs, data, municipalities=True)
            report.lost += 1
            report.events.append(f"lost {rid}")
        if (
            state == "nonconforming"
            and outside_since is not None
            and now - outside_since >= timedelta(seconds=policy.contingent_after_s)
        ):
            why = f"outside for {policy.contingent_after_s:g} s or more"
            _move(session, rid, state, "contingent", now, why, obs)
            report.contingent += 1
    if policy.min_rate_hz > 0 and after is None:
        report.slow = check_rates(session, now=now, policy=policy)
    return report


def _move(
    session: Session, rid: object, old: str, new: str, now: datetime, why: str, obs: Observation
) -> None:
    session.execute(
        text("UPDATE conformance SET state = :s, since = :t WHERE reservation_id = :r"),
        {"s": new, "t": now, "r": rid},
    )
    record_transition(session, obs, old, new, why)
