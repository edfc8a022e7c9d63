"""Name what blocks a refused route's end: the planner knows only that a voxel is blocked or
busy; the boxes at that voxel and time say by what (restriction, obstacle, reservation)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from registry.boxes.what_blocks import Blocking, what_blocks
from registry.models import LEAF_ZOOM
from routing import NoRoute
from routing.vehicle import VehicleLimits
from spatialid import lnglat_to_voxel

EARTH_M = 40_075_016.7
ENDS = {"origin_blocked": 0, "destination_blocked": 1}


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def blocking(
    session: Session,
    reason: str,
    *,
    ends: tuple[Sequence[float], Sequence[float]],
    ground: bool,
    zoom: int,
    departure: float,
    horizon_s: float,
    limits: VehicleLimits,
    exclude: uuid.UUID | None = None,
) -> Blocking | None:
    """What blocks the end an ``origin_blocked`` / ``destination_blocked`` reason names
    (around the departure for the origin, over the horizon for the destination); when
    nothing meets that end's voxel, what meets it padded by the clearance and one voxel.
    None for other reasons."""
    end = ENDS.get(reason)
    if end is None:
        return None
    lng, lat = ends[end][0], ends[end][1]
    alt = 0.0 if ground or len(ends[end]) < 3 else float(ends[end][2])
    v = lnglat_to_voxel(lng, lat, alt, zoom)
    k = LEAF_ZOOM - min(zoom, LEAF_ZOOM)
    buf = limits.safety_buffer_s
    t0, t1 = (
        (departure - buf, departure + buf + 1.0) if end == 0 else (departure, departure + horizon_s)
    )
    leaf_m = EARTH_M * math.cos(math.radians(lat)) / (1 << LEAF_ZOOM)
    pad_xy = math.ceil(limits.clearance_m / max(leaf_m, 1e-3)) + (1 << k)
    pad_f = math.ceil(limits.clearance_m) + (1 << k)
    found = Blocking([], [])
    for dxy, df in ((0, 0), (pad_xy, pad_f)):
        box = (
            (v.x << k) - dxy,
            ((v.x + 1) << k) + dxy,
            (v.y << k) - dxy,
            ((v.y + 1) << k) + dxy,
            (v.f << k) - df,
            ((v.f + 1) << k) + df,
        )
        found = what_blocks(session=session, box=box, start=_ts(t0), end=_ts(t1), exclude=exclude)
        if found:
            break
    return found


def name_blockers(
    session: Session,
    exc: NoRoute,
    *,
    ends: tuple[Sequence[float], Sequence[float]],
    ground: bool,
    zoom: int,
    departure: float,
    horizon_s: float,
    limits: VehicleLimits,
    exclude: uuid.UUID | None,
) -> None:
    """Add to a refusal blocked at one end what blocks it (see :func:`blocking`)."""
    found = blocking(
        session,
        f"{exc.busy_end}_blocked" if exc.busy_end else exc.reason,
        ends=ends,
        ground=ground,
        zoom=zoom,
        departure=departure,
        horizon_s=horizon_s,
        limits=limits,
        exclude=exclude,
    )
    if found is not None:
        exc.name_blockers(found.names, found.items)
