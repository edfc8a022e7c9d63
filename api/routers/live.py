"""The live view for the web map: the caller's vehicles where they are now, coloured by how
their flights conform; the alerts are those off plan or silent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.bbox import MapBBoxDep
from api.deps import PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from registry.services import live_view

router = APIRouter(prefix="/v1/live", tags=["map"], responses=problem_responses(401, 422, 503))
MAX_VEHICLES = 5_000


@router.get("/vehicles")
def live_vehicles(
    session: SessionDep,
    me: PrincipalDep,
    bbox: MapBBoxDep,
    max_age_s: Annotated[float, Query(gt=0, le=86_400)] = 600,
    limit: Annotated[int, Query(ge=1, le=MAX_VEHICLES)] = 1_000,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the vehicles the caller may watch inside `bbox` with a
    fix in the last `max_age_s` seconds: an operator's own, those inside a municipality's
    jurisdiction, all for an admin. Each Point (lng, lat, alt_m above the WGS84 ellipsoid)
    has the fix's `time`, the vehicle, its `reservation_id`, `conformance` (`activated`,
    `nonconforming`, `contingent`, `ended`, or null when not monitored), `lost` (silent),
    and `alert` (off plan or silent while flying)."""
    found = live_view.live_vehicles(
        session=session, actor=me, bbox=bbox, max_age_s=max_age_s, limit=limit
    )
    return {"type": "FeatureCollection", "features": [v.feature() for v in found]}
