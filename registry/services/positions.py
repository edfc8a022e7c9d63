"""One position report at a time (the batch's checks and conformance, one fix), and the
latest fix of a vehicle."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import spatialid
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import POSITION_VOXEL_ZOOM, Position, Principal, VehicleLatest
from registry.services.telemetry import ingest
from registry.services.telemetry_checks import Fix, TelemetryPolicy
from registry.services.vehicles import get_vehicle
from spatialid import Voxel


def position_voxel(lng: float, lat: float, alt_m: float, z: int = POSITION_VOXEL_ZOOM) -> Voxel:
    """The spatial ID at zoom ``z`` containing a point (altitude above the WGS84 ellipsoid)."""
    try:
        return spatialid.lnglat_to_voxel(lng, lat, alt_m, z)
    except spatialid.SpatialIdError as exc:
        raise InvalidInput(str(exc), field="alt_m") from None


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
    policy: TelemetryPolicy | None = None,
) -> tuple[Position, bool]:
    """Record where a visible, non-retired vehicle was at ``time``: the stored fix, and
    whether it is new (False: the same vehicle and time was stored before)."""
    get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    fix = Fix(vehicle_id, time, lng, lat, alt_m, speed_mps, heading_deg)
    (result,) = ingest(
        session=session, actor=actor, fixes=[fix], policy=policy or TelemetryPolicy()
    )
    if result.status == "refused":
        if result.reason == "vehicle_retired":
            raise Conflict(f"vehicle {vehicle_id} is retired")
        if result.reason == "vehicle_not_found":
            raise NotFound(f"vehicle {vehicle_id} not found")
        raise InvalidInput(f"{result.reason}: {result.detail}", field=result.field)
    stored = session.get(Position, (vehicle_id, time))
    if stored is None:  # pragma: no cover - ingest stored it or found it stored
        raise NotFound(f"vehicle {vehicle_id} has no fix at {time.isoformat()}")
    return stored, result.status == "accepted"


def latest_position(
    *, session: Session, actor: Principal | None, vehicle_id: uuid.UUID
) -> VehicleLatest:
    """The most recent fix (by the fix's time) of a visible vehicle."""
    get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    latest = session.scalar(select(VehicleLatest).where(VehicleLatest.vehicle_id == vehicle_id))
    if latest is None:
        raise NotFound(f"vehicle {vehicle_id} has not reported a position")
    return latest
