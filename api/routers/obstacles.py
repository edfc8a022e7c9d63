"""Static obstacles: admins (and importers) add them; everyone may read them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.altitudes import w84_band
from api.deps import AltitudesDep, PageDep, PrincipalDep, SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.reservation_schemas import ObstacleCreate, ObstacleOut, ObstaclePage
from api.schemas import geojson
from registry.services import obstacles

router = APIRouter(
    prefix="/v1/obstacles",
    tags=["obstacles"],
    responses=problem_responses(401, 503),
)


@router.post(
    "",
    status_code=201,
    response_model=ObstacleOut,
    responses=problem_responses(400, 403, 409, 413, 422),
)
def create_obstacle(
    body: ObstacleCreate,
    session: SessionDep,
    me: PrincipalDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
) -> ObstacleOut:
    """Add an obstacle; the response lists active reservations now inside it.

    Heights in `MSL` or `AGL` (e.g. a building's height above the ground) are stored as the
    `W84` band holding the obstacle over its whole footprint."""
    geometry = geojson(body.geometry)
    low, high = w84_band(
        session, altitudes, geometry, body.min_height_m, body.height_m, body.altitude_datum
    )
    item, hit = obstacles.create_obstacle(
        session=session,
        actor=me,
        geometry=geometry,
        height_m=high,
        min_height_m=low,
        source=body.source,
        source_ref=body.source_ref,
        kind=body.kind,
        name=body.name,
        zoom=body.zoom,
        max_voxels=settings.reservation_max_voxels,
    )
    out = ObstacleOut.model_validate(item)
    out.affected_reservations = hit
    return out


@router.get("", response_model=ObstaclePage, responses=problem_responses(422))
def list_obstacles(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    source: str | None = None,
) -> ObstaclePage:
    """Active obstacles, oldest first."""
    page = obstacles.list_obstacles(
        session=session, source=source, limit=paging.limit, after=paging.after
    )
    items = [ObstacleOut.model_validate(o) for o in page.items]
    return ObstaclePage(items=items, next=paging.next_link(page.after))


@router.get("/{obstacle_id}", response_model=ObstacleOut, responses=problem_responses(404, 422))
def get_obstacle(obstacle_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One obstacle."""
    return obstacles.get_obstacle(session=session, obstacle_id=obstacle_id)


@router.delete(
    "/{obstacle_id}",
    response_model=ObstacleOut,
    responses=problem_responses(403, 404, 409, 422),
)
def delete_obstacle(obstacle_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """Remove an obstacle (it stays readable with active=false)."""
    return obstacles.delete_obstacle(session=session, actor=me, obstacle_id=obstacle_id)
