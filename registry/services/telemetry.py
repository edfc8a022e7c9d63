"""Telemetry in: a batch of fixes from many vehicles, each checked, stored once, and judged
against the vehicle's live reservation at the fix's own time.

Every step is one set-based statement over the whole batch, so a batch costs a handful of
round trips however many fixes it holds. A fix is identified by (vehicle, time): sending it
again is answered ``duplicate`` and stores nothing. The latest row of a vehicle only moves
forward in time, so a late fix joins the history without moving the vehicle back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

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
from registry.services.telemetry_judge import Verdict, judge

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_VEHICLES = text(
    "SELECT v.id, v.operator_id, v.status, v.max_speed_mps, l.time, l.lng, l.lat, l.alt_m"
    " FROM vehicles v LEFT JOIN vehicle_latest l ON l.vehicle_id = v.id"
    " WHERE v.id = ANY(CAST(:ids AS uuid[]))"
)
_INSERT = text(
    """
    WITH stored AS (
        INSERT INTO positions (vehicle_id, time, lng, lat, alt_m, speed_mps, heading_deg,
                               voxel, reservation_id, conforming)
        SELECT v, t, lng, lat, alt, speed, heading, voxel, res, ok
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS f(v uuid, t timestamptz,
            lng float8, lat float8, alt float8, speed float8, heading float8, voxel text,
            res uuid, ok boolean)
        ON CONFLICT (vehicle_id, time) DO NOTHING
        RETURNING id, vehicle_id, time
    )
    SELECT now(), coalesce(json_agg(json_build_array(
        id, vehicle_id, (extract(epoch FROM time) * 1000000)::bigint)), '[]')::text
    FROM stored
    """
)
"""The new fixes in, from one JSON parameter, and what was stored out, as one JSON value
(each far cheaper than ten arrays in and a row per fix out): ``[id, vehicle, microseconds
since the epoch]`` per stored fix, and the receipt time."""
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
    judged = judge(session, fixes, keep, f, x, y, policy)
    stored = _store(session, fixes, keep, ids, judged)
    observations: list[Observation] = []
    for n, i in enumerate(keep):
        fix, result = fixes[i], results[i]
        result.spatial_id = ids[n]
        row = stored.get(i)
        verdict = judged.get(i)
        if verdict is not None:
            result.reservation_id, result.conforming = verdict[0], verdict[3]
        if row is None:
            result.status = "duplicate"
            continue
        result.id, result.received_at = row
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
    rows = (
        {row[0]: row for row in session.execute(_VEHICLES, {"ids": wanted}).all()} if wanted else {}
    )
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


def _store(
    session: Session,
    fixes: Sequence[Fix],
    keep: list[int],
    ids: list[str],
    judged: dict[int, Verdict],
) -> dict[int, tuple[int, datetime]]:
    """Insert the new fixes and move each vehicle's latest row forward; the id and receipt
    time of each fix stored now (a fix already stored is left out)."""
    rows = []
    keys = []
    for n, i in enumerate(keep):
        fix = fixes[i]
        verdict = judged.get(i)
        vid = str(fix.vehicle_id)
        keys.append((vid, (fix.time - EPOCH) // MICROSECOND))
        rows.append(
            {
                "v": vid,
                "t": fix.time.isoformat(),
                "lng": fix.lng,
                "lat": fix.lat,
                "alt": fix.alt_m,
                "speed": fix.speed_mps,
                "heading": fix.heading_deg,
                "voxel": ids[n],
                "res": None if verdict is None else str(verdict[0]),
                "ok": None if verdict is None else verdict[3],
            }
        )
    received, returned = session.execute(_INSERT, {"rows": json.dumps(rows)}).one()
    by_key = {(r[1], r[2]): r[0] for r in json.loads(returned)}
    if not by_key:
        return {}
    stored: dict[int, tuple[int, datetime]] = {}
    newest: dict[uuid.UUID, datetime] = {}
    for key, i in zip(keys, keep, strict=True):
        row_id = by_key.get(key)
        if row_id is None:
            continue
        stored[i] = (row_id, received)
        vehicle, time = fixes[i].vehicle_id, fixes[i].time
        if vehicle not in newest or newest[vehicle] < time:
            newest[vehicle] = time
    session.execute(_LATEST, {"v": [str(v) for v in newest], "t": list(newest.values())})
    return stored
