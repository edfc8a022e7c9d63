"""The rate check of monitored flights: fixes counted per window, set-based.

Each open, not silent flight whose window (``rate_window_s`` since its mark) is over is
judged in one statement for all of them: fewer fixes received in the window than
``min_rate_hz`` asks makes it ``slow``; the mark moves to now. A flight newly slow is told
``kukan.telemetry.slow`` once; a window at the rate again ends that episode. A flight not
yet marked starts its first window. Rows being written are skipped (``SKIP LOCKED``) and
judged at the next sweep, so fixes never wait for the check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.services.conformance import swept, tell
from registry.services.telemetry_checks import TelemetryPolicy

_JUDGE = text(
    """
    WITH due AS (
        SELECT c.reservation_id, c.slow AS was_slow, c.fixes - c.rate_mark_fixes AS n,
            extract(epoch FROM CAST(:now AS timestamptz) - c.rate_mark_at) AS window_s,
            c.rate_mark_at IS NULL AS first
        FROM conformance c
        WHERE c.state IN ('activated', 'nonconforming') AND NOT c.lost
            AND (c.rate_mark_at IS NULL OR c.rate_mark_at <= :before)
        ORDER BY c.reservation_id
        FOR UPDATE OF c SKIP LOCKED
    ), judged AS (
        UPDATE conformance c SET rate_mark_at = :now, rate_mark_fixes = c.fixes,
            slow = CASE WHEN due.first THEN c.slow ELSE due.n / due.window_s < :min END
        FROM due WHERE c.reservation_id = due.reservation_id
        RETURNING c.reservation_id, c.vehicle_id, c.state, c.slow, due.was_slow, due.n,
            due.window_s
    )
    SELECT j.reservation_id, j.vehicle_id, j.state, j.n, j.window_s, r.principal_id,
        r.operator_id, l.lng, l.lat, l.alt_m
    FROM judged j
    JOIN reservations r ON r.id = j.reservation_id
    LEFT JOIN vehicle_latest l ON l.vehicle_id = j.vehicle_id
    WHERE j.slow AND NOT j.was_slow
    ORDER BY j.reservation_id
    """
)


def check_rates(session: Session, *, now: datetime, policy: TelemetryPolicy) -> int:
    """Judge every rate window that is over at ``now``; how many flights were newly told
    slow."""
    before = now - timedelta(seconds=policy.rate_window_s)
    rows = session.execute(_JUDGE, {"now": now, "before": before, "min": policy.min_rate_hz}).all()
    for rid, vid, state, n, window_s, pid, oid, lng, lat, alt in rows:
        obs = swept(
            reservation_id=rid,
            vehicle_id=vid,
            principal_id=pid,
            operator_id=oid,
            now=now,
            position=(lng, lat, alt),
        )
        data = {
            "reservation_id": str(rid),
            "vehicle_id": str(vid),
            "state": state,
            "rate_hz": round(float(n) / float(window_s), 3),
            "min_rate_hz": policy.min_rate_hz,
            "window_s": round(float(window_s), 3),
            "position": {"lng": obs.lng, "lat": obs.lat, "alt_m": obs.alt_m},
        }
        tell(session, "kukan.telemetry.slow", obs, data, municipalities=False)
    return len(rows)
