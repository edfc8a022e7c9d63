"""Telemetry in: a batch of fixes from many vehicles, a result per fix."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from api.deps import AltitudesDep, PrincipalDep, SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.telemetry_schemas import FixIn, TelemetryIn, TelemetryOut
from registry.errors import RegistryError
from registry.models import Principal
from registry.services import telemetry
from registry.services.datums import Converter
from registry.services.telemetry_checks import Fix, FixResult, TelemetryPolicy

router = APIRouter(prefix="/v1", tags=["telemetry"], responses=problem_responses(401, 503))


@router.post(
    "/telemetry",
    response_model=TelemetryOut,
    response_model_exclude_none=True,
    responses=problem_responses(400, 413, 422),
)
def post_telemetry(
    body: TelemetryIn,
    session: SessionDep,
    me: PrincipalDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
) -> object:
    """Store a batch of fixes of one's vehicles, each checked alone and judged against the
    vehicle's live reservation at the fix's time. A refused fix says why; the others are
    kept. Sending a fix again (same vehicle and time) is a ``duplicate`` and changes
    nothing."""
    results = ingest_fixes(session, me, body.fixes, settings.telemetry_policy(), altitudes)
    count = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "duplicate")}
    answer = {
        "accepted": count["accepted"],
        "duplicates": count["duplicate"],
        "refused": len(results) - count["accepted"] - count["duplicate"],
        "results": [r.as_dict() for r in results],
    }
    # Built here rather than validated against TelemetryOut (the documented shape): a
    # batch's results are plain values, and validating thousands costs more than storing.
    return Response(json.dumps(answer, default=str), media_type="application/json")


def ingest_fixes(
    session: Session,
    me: Principal | None,
    items: list[FixIn],
    policy: TelemetryPolicy,
    altitudes: Converter,
) -> list[FixResult]:
    """Convert each fix's altitude to W84 (refusing those that cannot be), then ingest."""
    fixes: list[Fix] = []
    where: list[int] = []
    refused: dict[int, FixResult] = {}
    for i, item in enumerate(items):
        alt_m = item.alt_m
        if item.altitude_datum != "W84":
            try:
                alt_m = altitudes.height(session, item.lng, item.lat, alt_m, item.altitude_datum)
            except (RegistryError, ValueError) as exc:
                refused[i] = FixResult(index=i)
                refused[i].refuse("out_of_range", str(exc), "altitude_datum")
                continue
        fixes.append(
            Fix(
                vehicle_id=item.vehicle_id,
                time=item.time,
                lng=item.lng,
                lat=item.lat,
                alt_m=alt_m,
                speed_mps=item.speed_mps,
                heading_deg=item.heading_deg,
            )
        )
        where.append(i)
    done = telemetry.ingest(session=session, actor=me, fixes=fixes, policy=policy)
    for result, i in zip(done, where, strict=True):
        result.index = i
        refused[i] = result
    return [refused[i] for i in range(len(items))]
