"""The conformance sweeper: what fixes alone cannot show — silence, fixes slower than the
minimum rate, time outside with no new fix, and flights whose window is over. One sweeper
works at a time (a transaction-level advisory lock); the others skip their turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.services.conformance import Observation, record_transition, tell
from registry.services.telemetry_checks import TelemetryPolicy

SWEEP_LOCK = 0x6B756B616E01
"""The advisory lock key of the sweeper ("kukan" + 1)."""
_OPEN = text(
    """
    SELECT c.reservation_id, c.vehicle_id, c.state, c.outside_since, c.last_fix_time,
        c.last_received_at, c.lost, r.principal_id, r.operator_id, r.state, r.time_end,
        l.lng, l.lat, l.alt_m, c.rate_mark_at, c.rate_mark_fixes, c.fixes, c.slow
    FROM conformance c
    JOIN reservations r ON r.id = c.reservation_id
    LEFT JOIN vehicle_latest l ON l.vehicle_id = c.vehicle_id
    WHERE c.state <> 'ended'
      AND ((c.last_received_at < :lost_before AND NOT c.lost)
        OR (c.state = 'nonconforming' AND c.outside_since <= :contingent_before)
        OR r.state NOT IN ('accepted', 'activated') OR r.time_end < :over_before
        OR (:rate AND (c.rate_mark_at IS NULL OR c.rate_mark_at <= :rate_before)))
    ORDER BY c.reservation_id
    FOR UPDATE OF c SKIP LOCKED
    """
)
"""The open rows with something due: silence not yet told, time outside past the limit,
a reservation over, or a rate window over (only those are locked, so fixes of the others
never wait)."""


@dataclass
class SweepReport:
    """What one sweep did."""

    lost: int = 0
    slow: int = 0
    contingent: int = 0
    ended: int = 0
    events: list[str] = field(default_factory=list)


def sweep(session: Session, *, now: datetime, policy: TelemetryPolicy) -> SweepReport | None:
    """One pass over the open conformance rows at ``now``; None when another sweeper holds
    the lock."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK}):
        return None
    report = SweepReport()
    lost_before = now - timedelta(seconds=policy.lost_after_s)
    due = {
        "lost_before": lost_before,
        "contingent_before": now - timedelta(seconds=policy.contingent_after_s),
        "over_before": now - timedelta(seconds=policy.tolerance_s),
        "rate": policy.min_rate_hz > 0,
        "rate_before": now - timedelta(seconds=policy.rate_window_s),
    }
    for row in session.execute(_OPEN, due).all():
        (rid, vid, state, outside_since, last_fix, last_recv, lost, pid, oid, rstate, end) = row[
            :11
        ]
        obs = Observation(
            index=-1,
            reservation_id=rid,
            vehicle_id=vid,
            principal_id=pid,
            operator_id=oid,
            time=now,
            received_at=now,
            inside=False,
            lng=row[11] if row[11] is not None else 0.0,
            lat=row[12] if row[12] is not None else 0.0,
            alt_m=row[13] if row[13] is not None else 0.0,
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
        if policy.min_rate_hz > 0 and not silent and not lost:
            report.slow += _rate(session, rid, state, row[14:18], now, policy, obs)
        if (
            state == "nonconforming"
            and outside_since is not None
            and now - outside_since >= timedelta(seconds=policy.contingent_after_s)
        ):
            why = f"outside for {policy.contingent_after_s:g} s or more"
            _move(session, rid, state, "contingent", now, why, obs)
            report.contingent += 1
    return report


def _move(
    session: Session, rid: object, old: str, new: str, now: datetime, why: str, obs: Observation
) -> None:
    session.execute(
        text("UPDATE conformance SET state = :s, since = :t WHERE reservation_id = :r"),
        {"s": new, "t": now, "r": rid},
    )
    record_transition(session, obs, old, new, why)


def _rate(
    session: Session,
    rid: object,
    state: str,
    marks: Sequence[Any],
    now: datetime,
    policy: TelemetryPolicy,
    obs: Observation,
) -> int:
    """Judge the rate window of one flight when it is over (1 when newly told slow), and
    start the next window."""
    mark_at, mark_fixes, fixes, slow = marks
    window = None if mark_at is None else (now - mark_at).total_seconds()
    if window is not None and window < policy.rate_window_s:
        return 0  # due for another reason: the window is not over yet
    told = 0
    now_slow = bool(slow)
    if window is not None:
        rate = (fixes - mark_fixes) / window
        now_slow = rate < policy.min_rate_hz
        if now_slow and not slow:
            data = {
                "reservation_id": str(rid),
                "vehicle_id": str(obs.vehicle_id),
                "state": state,
                "rate_hz": round(rate, 3),
                "min_rate_hz": policy.min_rate_hz,
                "window_s": round(window, 3),
                "position": {"lng": obs.lng, "lat": obs.lat, "alt_m": obs.alt_m},
            }
            tell(session, "kukan.telemetry.slow", obs, data, municipalities=False)
            told = 1
    session.execute(
        text(
            "UPDATE conformance SET rate_mark_at = :t, rate_mark_fixes = :n, slow = :slow"
            " WHERE reservation_id = :r"
        ),
        {"t": now, "n": fixes, "slow": now_slow, "r": rid},
    )
    return told
