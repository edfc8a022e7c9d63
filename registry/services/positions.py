"""Position reports: record one, read the latest with its spatial ID."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from geoalchemy2.elements import WKTElement
from sqlalchemy import select
from sqlalchemy.orm import Session

import spatialid
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import POSITION_VOXEL_ZOOM, Position, Principal
from registry.services.vehicles import get_vehicle
from spatialid import Voxel

MAX_CLOCK_SKEW = timedelta(minutes=5)


def position_voxel(lng: float, lat: float, alt_m: float, z: int = POSITION_VOXEL_ZOOM) -> Voxel:
    """The spatial ID at zoom ``z`` containing a point (altitude above the WGS84 ellipsoid)."""
    try:
        return spatialid.lnglat_to_voxel(lng, lat, alt_m, z)
    except spatialid.SpatialIdError as exc:
        raise InvalidInput(str(exc), field="alt_m") from None


def _check(
    lng: float, lat: float, alt_m: float, speed: float | None, heading: float | None
) -> None:
    checks = (
        ("lng", lng, -180.0, 180.0),
        ("lat", lat, -90.0, 90.0),
        ("alt_m", alt_m, -(2.0**25), 2.0**25),
    )
    for field, value, low, high in checks:
        if not (math.isfinite(value) and low <= value <= high):
            raise InvalidInput(f"{field}={value} is out of range [{low}, {high}]", field=field)
    if speed is not None and not (math.isfinite(speed) and speed >= 0):
        raise InvalidInput(f"speed_mps={speed} must be >= 0", field="speed_mps")
    if heading is not None and not (math.isfinite(heading) and 0 <= heading < 360):
        raise InvalidInput(f"heading_deg={heading} must be in [0, 360)", field="heading_deg")


def report_position(
    *,
    session: Session,
    actor: Principal | None,
    vehicle_id: uuid.UUID,
    time: datetime,
    lng: float,
    lat: float,
    alt_m: float,
    speed_mps: float | None = None,
    heading_deg: float | None = None,
) -> Position:
    """Record where a visible, non-retired vehicle was at ``time``."""
    vehicle = get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    if vehicle.status == "retired":
        raise Conflict(f"vehicle {vehicle_id} is retired")
    if time.tzinfo is None:
        raise InvalidInput("time must carry a time zone (RFC 3339)", field="time")
    if time > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise InvalidInput(f"time {time.isoformat()} is in the future", field="time")
    _check(lng, lat, alt_m, speed_mps, heading_deg)
    voxel = position_voxel(lng, lat, alt_m)
    position = Position(
        vehicle_id=vehicle.id,
        time=time,
        lng=lng,
        lat=lat,
        alt_m=alt_m,
        speed_mps=speed_mps,
        heading_deg=heading_deg,
        geom=WKTElement(f"POINT Z ({lng!r} {lat!r} {alt_m!r})", srid=4326),
        voxel=str(voxel),
    )
    session.add(position)
    session.flush()
    return position


def latest_position(
    *, session: Session, actor: Principal | None, vehicle_id: uuid.UUID
) -> Position:
    """The most recent report (by report time) of a visible vehicle."""
    get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    position = session.scalar(
        select(Position)
        .where(Position.vehicle_id == vehicle_id)
        .order_by(Position.time.desc(), Position.id.desc())
        .limit(1)
    )
    if position is None:
        raise NotFound(f"vehicle {vehicle_id} has not reported a position")
    return position
