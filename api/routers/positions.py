"""Vehicle position reports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import Credentials, PrincipalDep, SessionDep
from api.position_batcher import COLUMNS, PositionBatcher, fix_of
from api.problem_schemas import problem_responses
from api.vehicle_schemas import PositionIn, PositionOut
from registry.db import session_scope
from registry.errors import Unauthenticated
from registry.services import positions
from registry.services.principals import authenticate

router = APIRouter(prefix="/v1/vehicles", tags=["positions"], responses=problem_responses(401, 503))


@router.post(
    "/{vehicle_id}/positions",
    status_code=201,
    response_model=PositionOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
async def report_position(
    vehicle_id: uuid.UUID,
    body: PositionIn,
    request: Request,
    credentials: Credentials,
    response: Response,
) -> object:
    """Record a position report of one's vehicle (stored, and answered, in W84), checked
    and judged like a fix of ``POST /v1/telemetry``. The same vehicle and time again
    answers the stored report with 200."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    if body.altitude_datum != "W84":  # the datum needs the database: convert on the side
        stored = await run_in_threadpool(_report_in_datum, request, credentials, vehicle_id, body)
    else:
        batcher: PositionBatcher = request.app.state.position_batcher
        stored = await batcher.report(credentials.credentials, fix_of(vehicle_id, body, body.alt_m))
    if not stored.pop("new"):
        response.status_code = 200
    return stored


def _report_in_datum(
    request: Request, credentials: Any, vehicle_id: uuid.UUID, body: PositionIn
) -> dict[str, Any]:
    """A report whose altitude is ``MSL`` or ``AGL``: converted, then stored alone."""
    settings = request.app.state.settings
    with session_scope(request.app.state.sessionmaker) as session:
        me = authenticate(session=session, token=credentials.credentials)
        alt_m = request.app.state.altitudes.height(
            session, body.lng, body.lat, body.alt_m, body.altitude_datum
        )
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
        out = {c: getattr(stored, c) for c in COLUMNS}
    return {**out, "new": new}


@router.get(
    "/{vehicle_id}/position",
    response_model=PositionOut,
    responses=problem_responses(404, 422),
)
def latest_position(vehicle_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """The latest report of one's vehicle, with its spatial ID."""
    return positions.latest_position(session=session, actor=me, vehicle_id=vehicle_id)
