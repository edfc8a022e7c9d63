"""Occupancy: the voxels of a region taken in a time window, by kind (owners for towns)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.occupancy_schemas import AGGREGATE_DOC, OccupancyOut, OccupancyQuery
from api.schemas import DATUM_DOC, problem_responses
from registry import occupancy
from registry.errors import InvalidInput
from registry.models import Principal
from spatialid import VoxelSet

router = APIRouter(
    prefix="/v1/occupancy",
    tags=["occupancy"],
    responses=problem_responses(401, 413, 422, 503),
)


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    t0 = start or datetime.now(UTC)
    return t0, end or t0 + timedelta(hours=1)


def _answer(
    session: SessionDep,
    me: Principal,
    region: VoxelSet,
    window: tuple[datetime, datetime],
    aggregate: str | None,
    band: tuple[float | None, float | None],
    *,
    max_voxels: int,
    field: str,
) -> dict[str, Any]:
    occ = occupancy.occupancy(
        session=session,
        actor=me,
        region=region,
        time_start=window[0],
        time_end=window[1],
        aggregate=aggregate,
        max_boxes=max_voxels,
        max_voxels=max_voxels,
        region_field=field,
    )
    owners: dict[int, dict[str, Any]] = {}  # one dict per item, shared by its cells

    def who(o: occupancy.Owner) -> dict[str, Any]:
        return owners.setdefault(id(o), asdict(o))

    return {  # validated and serialised once, by the response model
        "zoom": occ.zoom,
        "aggregate": occ.aggregate,
        "time_start": window[0],
        "time_end": window[1],
        "alt_lower": band[0],
        "alt_upper": band[1],
        "region_voxels": occ.region_voxels,
        "count": len(occ.cells),
        "totals": occ.totals,
        "cells": [
            {
                "id": c.id,
                "count": c.count,
                "kinds": c.kinds,
                "owners": None if c.owners is None else [who(o) for o in c.owners],
            }
            for c in occ.cells
        ],
    }


@router.get("", response_model=OccupancyOut, response_model_exclude_none=False)
def get_occupancy(
    session: SessionDep,
    me: PrincipalDep,
    settings: SettingsDep,
    bbox: Annotated[str, Query(description="west,south,east,north (degrees)")],
    alt_lower: Annotated[float, Query(ge=-(2**25), le=2**25, description=DATUM_DOC)] = 0.0,
    alt_upper: Annotated[float, Query(ge=-(2**25), le=2**25, description=DATUM_DOC)] = 150.0,
    time_start: Annotated[AwareDatetime | None, Query(description="default: now")] = None,
    time_end: Annotated[AwareDatetime | None, Query(description="default: +1 h")] = None,
    zoom: Annotated[int, Query(ge=0, le=25)] = 20,
    aggregate: Annotated[str | None, Query(description=AGGREGATE_DOC)] = None,
) -> dict[str, Any]:
    """Occupied voxels of a bbox and altitude band in a window, with counts per kind.

    Every authenticated principal may ask. Municipalities and admins also get the
    `owners` of each cell (reservation id and operator); others see only kinds and counts.
    """
    try:
        box = [float(p) for p in bbox.split(",")]
    except ValueError:
        raise InvalidInput("bbox must be west,south,east,north", field="bbox") from None
    cap = settings.occupancy_max_voxels
    region = occupancy.bbox_region(box, alt_lower, alt_upper, zoom, max_voxels=cap)
    window = _window(time_start, time_end)
    return _answer(
        session,
        me,
        region,
        window,
        aggregate,
        (alt_lower, alt_upper),
        max_voxels=cap,
        field="bbox",
    )


@router.post("/query", response_model=OccupancyOut)
def query_occupancy(
    body: OccupancyQuery, session: SessionDep, me: PrincipalDep, settings: SettingsDep
) -> dict[str, Any]:
    """Occupancy of a GeoJSON polygon and altitude band, or of a list of spatial IDs."""
    cap = settings.occupancy_max_voxels
    band: tuple[float | None, float | None] = (None, None)
    if body.geometry is not None:
        region = occupancy.geometry_region(
            body.geometry, body.alt_lower, body.alt_upper, body.zoom, max_voxels=cap
        )
        field, band = "geometry", (body.alt_lower, body.alt_upper)
    else:
        assert body.spatial_ids is not None
        region = occupancy.ids_region(body.spatial_ids, body.zoom, max_voxels=cap)
        field = "spatial_ids"
    window = _window(body.time_start, body.time_end)
    return _answer(session, me, region, window, body.aggregate, band, max_voxels=cap, field=field)
