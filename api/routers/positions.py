"""Vehicle position reports."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import AltitudesDep, PrincipalDep, SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.vehicle_schemas import PositionIn, PositionOut
from registry.services import positions

router = APIRouter(prefix="/v1/vehicles", tags=["positions"], responses=problem_responses(401, 503))


@router.post(
    "/{vehicle_id}/positions",
    status_code=201,
    response_model=PositionOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
def report_position(
    vehicle_id: uuid.UUID,
    body: PositionIn,
    session: SessionDep,
    me: PrincipalDep,
    altitudes: AltitudesDep,
    settings: SettingsDep,
    response: Response,
) -> object:
    """Record a position report of one's vehicle (stored, and answered, in W84), checked
    and judged like a fix of ``POST /v1/telemetry``. The same vehicle and time again
    answers the stored report with 200."""
    alt_m = body.alt_m
    if body.altitude_datum != "W84":
        alt_m = altitudes.height(session, body.lng, body.lat, alt_m, body.altitude_datum)
    stored, new = positions.report_position(
        session=session,
        actor=me,
        vehicle_id=vehicle_id,
        time=body.time,
        lng=body.lng,
        lat=body.lat,
        alt_m=alt_m,
        speed_mps=body.speed_mps,
        heading_deg=body.heading_deg,
        policy=settings.telemetry_policy(),
    )
    if not new:
        response.status_code = 200
    return stored


@router.get(
    "/{vehicle_id}/position",
    response_model=PositionOut,
    responses=problem_responses(404, 422),
)
def latest_position(vehicle_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """The latest report of one's vehicle, with its spatial ID."""
    return positions.latest_position(session=session, actor=me, vehicle_id=vehicle_id)
