"""Judging fixes against reservations: is each fix inside its vehicle's live reservation
(the voxels and their windows, within the tolerances) at the fix's own time?

One query fetches the live reservations of the batch's vehicles over the batch's time span
with their boxes; the fixes are then checked in memory. That is the same test as the
exclusion constraint's overlap (``&&``) of ranges, done once per fix without a round trip.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.models import POSITION_VOXEL_ZOOM
from registry.services.telemetry_checks import Fix, TelemetryPolicy

CELL_M = 2 * math.pi * 6_378_137.0 / (1 << POSITION_VOXEL_ZOOM)
"""The side (metres, at the equator) of a voxel at the fix zoom, which is the boxes' zoom."""
_LIVE = text(
    """
    SELECT r.id, r.vehicle_id, r.principal_id, r.operator_id, r.time_start, r.time_end,
        lower(b.x), upper(b.x), lower(b.y), upper(b.y), lower(b.f), upper(b.f),
        lower(b.during), upper(b.during)
    FROM reservations r
    JOIN reservation_boxes b ON b.reservation_id = r.id AND b.active
    WHERE r.vehicle_id = ANY(CAST(:v AS uuid[])) AND r.state IN ('accepted', 'activated')
      AND r.span && tstzrange(:t0, :t1, '[]')
    """
)


@dataclass
class _Live:
    id: uuid.UUID
    principal_id: uuid.UUID
    operator_id: uuid.UUID | None
    start: datetime
    end: datetime
    boxes: list[tuple[int, int, int, int, int, int, datetime, datetime]]


Verdict = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, bool]
"""The reservation, its principal, its operator, and whether the fix is inside it."""


def judge(
    session: Session,
    fixes: Sequence[Fix],
    keep: list[int],
    f: Any,
    x: Any,
    y: Any,
    policy: TelemetryPolicy,
) -> dict[int, Verdict]:
    """For each kept fix whose time falls in a live reservation of its vehicle: the verdict."""
    tol = timedelta(seconds=policy.tolerance_s)
    times = [fixes[i].time for i in keep]
    params = {
        "v": sorted({str(fixes[i].vehicle_id) for i in keep}),
        "t0": min(times) - tol,
        "t1": max(times) + tol,
    }
    live: dict[uuid.UUID, dict[uuid.UUID, _Live]] = {}
    for row in session.execute(_LIVE, params).all():
        res = live.setdefault(row[1], {}).get(row[0])
        if res is None:
            res = _Live(row[0], row[2], row[3], row[4], row[5], [])
            live[row[1]][row[0]] = res
        res.boxes.append(row[6:14])
    by_vehicle = {v: sorted(rs.values(), key=lambda r: r.start) for v, rs in live.items()}
    kf = math.ceil(policy.tolerance_v_m)
    fl, xl, yl = f.tolist(), x.tolist(), y.tolist()
    out: dict[int, Verdict] = {}
    for n, i in enumerate(keep):
        fix = fixes[i]
        lo, hi = fix.time - tol, fix.time + tol
        res = next(
            (r for r in by_vehicle.get(fix.vehicle_id, ()) if r.start <= hi and lo < r.end),
            None,
        )
        if res is None:
            continue
        k = math.ceil(policy.tolerance_m / max(CELL_M * math.cos(math.radians(fix.lat)), 1e-3))
        fx, xx, yy = fl[n], xl[n], yl[n]
        inside = any(
            b[0] <= xx + k
            and xx - k < b[1]
            and b[2] <= yy + k
            and yy - k < b[3]
            and b[4] <= fx + kf
            and fx - kf < b[5]
            and b[6] <= hi
            and lo < b[7]
            for b in res.boxes
        )
        out[i] = (res.id, res.principal_id, res.operator_id, inside)
    return out
