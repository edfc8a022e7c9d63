"""Telemetry in: a batch of fixes from many vehicles, each checked, stored once, and judged
against the vehicle's live reservation at the fix's own time.

Every step is one set-based statement over the whole batch, so a batch costs a handful of
round trips however many fixes it holds. A fix is identified by (vehicle, time): sending it
again is answered ``duplicate`` and stores nothing. The latest row of a vehicle only moves
forward in time, so a late fix joins the history without moving the vehicle back.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

import spatialid.vectorized as sv
from registry.models import POSITION_VOXEL_ZOOM, Principal
from registry.services import partitions
from registry.services.conformance import Observation, apply_observations
from registry.services.telemetry_checks import (
    Fix,
    FixResult,
    TelemetryPolicy,
    check_values,
    jump_detail,
)

_VEHICLES = text(
    "SELECT v.id, v.operator_id, v.status, v.max_speed_mps, l.time, l.lng, l.lat, l.alt_m"
    " FROM vehicles v LEFT JOIN vehicle_latest l ON l.vehicle_id = v.id"
    " WHERE v.id = ANY(CAST(:ids AS uuid[]))"
)
_JUDGE = text(
    """
    SELECT f.i, r.id, r.principal_id, r.operator_id,
        EXISTS (
            SELECT 1 FROM reservation_boxes b
            WHERE b.reservation_id = r.id AND b.active
              AND b.x && int4range(f.x - f.k, f.x + f.k + 1)
              AND b.y && int4range(f.y - f.k, f.y + f.k + 1)
              AND b.f && int4range(f.fl - :kf, f.fl + :kf + 1)
              AND b.during && tstzrange(f.t - :tol, f.t + :tol, '[]')
        ) AS inside
    FROM unnest(CAST(:i AS int[]), CAST(:v AS uuid[]), CAST(:t AS timestamptz[]),
                CAST(:x AS int[]), CAST(:y AS int[]), CAST(:fl AS int[]), CAST(:k AS int[]))
         AS f(i, v, t, x, y, fl, k)
    JOIN LATERAL (
        SELECT id, principal_id, operator_id FROM reservations r
        WHERE r.vehicle_id = f.v AND r.state IN ('accepted', 'activated')
          AND r.span && tstzrange(f.t - :tol, f.t + :tol, '[]')
        ORDER BY r.time_start LIMIT 1
    ) r ON true
    """
)
_INSERT = text(
    """
    INSERT INTO positions (vehicle_id, time, lng, lat, alt_m, speed_mps, heading_deg, voxel,
                           reservation_id, conforming)
    SELECT * FROM unnest(CAST(:v AS uuid[]), CAST(:t AS timestamptz[]),
        CAST(:lng AS float8[]), CAST(:lat AS float8[]), CAST(:alt AS float8[]),
        CAST(:speed AS float8[]), CAST(:heading AS float8[]), CAST(:voxel AS text[]),
        CAST(:res AS uuid[]), CAST(:ok AS boolean[]))
    ON CONFLICT (vehicle_id, time) DO NOTHING
    RETURNING vehicle_id, time, id, received_at
    """
)
_LATEST = text(
    """
    INSERT INTO vehicle_latest AS l (vehicle_id, time, id, received_at, lng, lat, alt_m,
        speed_mps, heading_deg, voxel, reservation_id, conforming)
    SELECT p.vehicle_id, p.time, p.id, p.received_at, p.lng, p.lat, p.alt_m, p.speed_mps,
        p.heading_deg, p.voxel, p.reservation_id, p.conforming
    FROM unnest(CAST(:v AS uuid[]), CAST(:t AS timestamptz[])) AS n(v, t)
    JOIN positions p ON p.vehicle_id = n.v AND p.time = n.t
    ON CONFLICT (vehicle_id) DO UPDATE SET time = excluded.time, id = excluded.id,
        received_at = excluded.received_at, lng = excluded.lng, lat = excluded.lat,
        alt_m = excluded.alt_m, speed_mps = excluded.speed_mps,
        heading_deg = excluded.heading_deg, voxel = excluded.voxel,
        reservation_id = excluded.reservation_id, conforming = excluded.conforming
    WHERE l.time < excluded.time
    """
)


def ingest(
    *,
    session: Session,
    actor: Principal | None,
    fixes: Sequence[Fix],
    policy: TelemetryPolicy,
    now: datetime | None = None,
) -> list[FixResult]:
    """Check, store and judge a batch; one result per fix, in the batch's order."""
    now = now or datetime.now(UTC)
    results = [FixResult(index=i) for i in range(len(fixes))]
    keep = [i for i, fix in enumerate(fixes) if check_values(fix, results[i], now, policy)]
    keep = _known_vehicles(session, actor, fixes, results, keep, policy)
    if not keep:
        return results
    f, x, y = sv.lnglat_to_voxel(
        [fixes[i].lng for i in keep],
        [fixes[i].lat for i in keep],
        [fixes[i].alt_m for i in keep],
        POSITION_VOXEL_ZOOM,
        check=False,
    )
    ids = sv.format_ids(np.full(len(keep), POSITION_VOXEL_ZOOM), f, x, y)
    partitions.ensure_days(session, {fixes[i].time.astimezone(UTC).date() for i in keep})
    judged = _judge(session, fixes, keep, f, x, y, policy)
    stored = _store(session, fixes, keep, ids, judged)
    observations: list[Observation] = []
    for n, i in enumerate(keep):
        fix, result = fixes[i], results[i]
        result.spatial_id = ids[n]
        row = stored.get((fix.vehicle_id, fix.time))
        verdict = judged.get(i)
        if verdict is not None:
            result.reservation_id, result.conforming = verdict[0], verdict[3]
        if row is None:
            result.status = "duplicate"
            continue
        result.id = row[0]
        if verdict is not None:
            observations.append(
                Observation(
                    index=i,
                    reservation_id=verdict[0],
                    vehicle_id=fix.vehicle_id,
                    principal_id=verdict[1],
                    operator_id=verdict[2],
                    time=fix.time,
                    received_at=row[1],
                    inside=verdict[3],
                    lng=fix.lng,
                    lat=fix.lat,
                    alt_m=fix.alt_m,
                )
            )
    unmonitored = [fixes[i] for i in keep if results[i].id is not None and i not in judged]
    states = apply_observations(session, observations, unmonitored, policy)
    for i, state in states.items():
        results[i].conformance = state
    return results


def _known_vehicles(
    session: Session,
    actor: Principal | None,
    fixes: Sequence[Fix],
    results: list[FixResult],
    keep: list[int],
    policy: TelemetryPolicy,
) -> list[int]:
    """Refuse fixes of unknown, retired or others' vehicles, duplicates inside the batch,
    and impossible jumps; the indices left."""
    wanted = sorted({str(fixes[i].vehicle_id) for i in keep})
    rows = {row[0]: row for row in session.execute(_VEHICLES, {"ids": wanted})} if wanted else {}
    mine = actor is None or actor.is_admin
    seen: set[tuple[uuid.UUID, datetime]] = set()
    by_vehicle: dict[uuid.UUID, list[int]] = {}
    for i in keep:
        fix, result = fixes[i], results[i]
        row = rows.get(fix.vehicle_id)
        if row is None or not (mine or (actor is not None and row[1] == actor.operator_id)):
            detail = f"no vehicle {fix.vehicle_id} among the caller's"
            result.refuse("vehicle_not_found", detail, "vehicle_id")
        elif row[2] == "retired":
            result.refuse("vehicle_retired", f"vehicle {fix.vehicle_id} is retired", "vehicle_id")
        elif (fix.vehicle_id, fix.time) in seen:
            result.status = "duplicate"
            result.detail = "the same vehicle and time appear earlier in this batch"
        else:
            seen.add((fix.vehicle_id, fix.time))
            by_vehicle.setdefault(fix.vehicle_id, []).append(i)
    left: list[int] = []
    for vehicle_id, indices in by_vehicle.items():
        row = rows[vehicle_id]
        latest = None if row[4] is None else (row[4], row[5], row[6], row[7])
        prev = None
        for i in sorted(indices, key=lambda j: fixes[j].time):
            fix = fixes[i]
            ref = prev
            if latest is not None and latest[0] < fix.time and (ref is None or ref[0] < latest[0]):
                ref = latest
            jump = None if ref is None else jump_detail(ref, fix, float(row[3]), policy)
            if jump is not None:
                results[i].refuse("impossible_jump", jump, "lng")
                continue
            prev = (fix.time, fix.lng, fix.lat, fix.alt_m)
            left.append(i)
    return sorted(left)


def _judge(
    session: Session,
    fixes: Sequence[Fix],
    keep: list[int],
    f: Any,
    x: Any,
    y: Any,
    policy: TelemetryPolicy,
) -> dict[int, tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, bool]]:
    """For each fix inside a live reservation's window: the reservation, its principal and
    operator, and whether the fix is inside its voxels (within the tolerances)."""
    cell = 2 * math.pi * 6_378_137.0 / (1 << POSITION_VOXEL_ZOOM)
    k = [
        math.ceil(policy.tolerance_m / max(cell * math.cos(math.radians(fixes[i].lat)), 1e-3))
        for i in keep
    ]
    params = {
        "i": keep,
        "v": [str(fixes[i].vehicle_id) for i in keep],
        "t": [fixes[i].time for i in keep],
        "x": x.tolist(),
        "y": y.tolist(),
        "fl": f.tolist(),
        "k": k,
        "kf": math.ceil(policy.tolerance_v_m),
        "tol": timedelta(seconds=policy.tolerance_s),
    }
    return {
        row[0]: (row[1], row[2], row[3], bool(row[4])) for row in session.execute(_JUDGE, params)
    }


def _store(
    session: Session,
    fixes: Sequence[Fix],
    keep: list[int],
    ids: list[str],
    judged: dict[int, tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, bool]],
) -> dict[tuple[uuid.UUID, datetime], tuple[int, datetime]]:
    """Insert the new fixes and move each vehicle's latest row forward; the stored ones."""
    params = {
        "v": [str(fixes[i].vehicle_id) for i in keep],
        "t": [fixes[i].time for i in keep],
        "lng": [fixes[i].lng for i in keep],
        "lat": [fixes[i].lat for i in keep],
        "alt": [fixes[i].alt_m for i in keep],
        "speed": [fixes[i].speed_mps for i in keep],
        "heading": [fixes[i].heading_deg for i in keep],
        "voxel": ids,
        "res": [None if i not in judged else str(judged[i][0]) for i in keep],
        "ok": [None if i not in judged else judged[i][3] for i in keep],
    }
    stored = {(r[0], r[1]): (r[2], r[3]) for r in session.execute(_INSERT, params)}
    newest: dict[uuid.UUID, datetime] = {}
    for vehicle_id, time in stored:
        if vehicle_id not in newest or newest[vehicle_id] < time:
            newest[vehicle_id] = time
    if newest:
        session.execute(_LATEST, {"v": [str(v) for v in newest], "t": list(newest.values())})
    return stored
