"""Vector tiles for the web map: reservations, restrictions and obstacles live at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from api.schemas import Instant
from registry.services import tiles

MVT = "application/vnd.mapbox-vector-tile"

router = APIRouter(prefix="/v1/tiles", tags=["tiles"], responses=problem_responses(401, 422, 503))


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}, "description": "a Mapbox vector tile with one layer"},
        204: {"description": "nothing in this tile at that time (empty tile, no body)"},
    },
)
def get_tile(
    layer: Literal["reservations", "restrictions", "obstacles"],
    z: Annotated[int, Path(ge=0, le=tiles.MAX_TILE_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    session: SessionDep,
    me: PrincipalDep,
    time: Annotated[Instant | None, Query(description="instant shown; default now")] = None,
) -> Response:
    """One MVT layer (named like `layer`) of what is live at `time` in tile z/x/y.

    Features carry `kind`, the time window and `altitude_lower`/`altitude_upper` (metres,
    W84). Municipalities and admins also get owner attributes (reservation `id`,
    `operator_id`, `operator_name`, `state`, `priority`). An empty tile is `204 No Content`.
    Requires the bearer token like the rest of `/v1`.
    """
    at = time or datetime.now(UTC)
    body = tiles.tile(session=session, actor=me, layer=layer, z=z, x=x, y=y, at=at)
    headers = {"Cache-Control": "private, max-age=5"}
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(content=body, media_type=MVT, headers=headers)
