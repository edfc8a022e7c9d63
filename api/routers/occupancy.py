"""Occupancy: the voxels of a region taken in a time window, by kind (owners for towns)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from api.altitudes import w84_band
from api.bbox import BBoxDep
from api.deps import (
    AltitudesDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    TokenDep,
    in_transaction,
)
from api.occupancy_schemas import AGGREGATE_DOC, KindCounts, OccupancyOut, OccupancyQuery
from api.problem_schemas import problem_responses
from api.schemas import INPUT_DATUM_DOC, InputDatum, Instant, geojson
from registry.errors import InvalidInput
from registry.models import Principal
from registry.services import occupancy
from spatialid import VoxelSet

router = APIRouter(
    prefix="/v1/occupancy",
    tags=["occupancy"],
    responses=problem_responses(401, 503),
)


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    t0 = start or datetime.now(UTC)
    try:
        return t0, end or t0 + timedelta(hours=1)
    except OverflowError:  # time_start in year 9999: the default end does not exist
        msg = "time_start is too late for the default time_end (+1 h)"
        raise InvalidInput(msg, field="time_start") from None


def _owner_json(o: occupancy.Owner) -> str:
    return json.dumps(
        {
            "kind": o.kind,
            "id": str(o.id),
            "operator_id": None if o.operator_id is None else str(o.operator_id),
            "operator_name": o.operator_name,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _answer(
    session: Session,
    me: Principal,
    region: VoxelSet,
    window: tuple[datetime, datetime],
    aggregate: str | None,
    band: tuple[float | None, float | None],
    *,
    max_voxels: int,
    field: str,
) -> Response:
    """The answer as JSON bytes in the shape of ``OccupancyOut``.

    The envelope goes through the response model; the cells (thousands, with owners for
    municipalities) are written directly, each owner encoded once and shared by its cells.
    """
    g = occupancy.occupancy_grid(
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
    head = OccupancyOut(
        zoom=g.zoom,
        aggregate=g.aggregate,
        time_start=window[0],
        time_end=window[1],
        alt_lower=band[0],
        alt_upper=band[1],
        region_voxels=g.region_voxels,
        count=len(g.ids),
        totals=KindCounts(**g.totals),
        cells=[],
    ).model_dump_json()
    assert head.endswith('"cells":[]}')
    owners = [_owner_json(o) for o in g.owners]
    ids = [json.dumps(i) for i in g.ids]
    parts = []
    for k, (r, s, o) in enumerate(g.counts.tolist()):
        who = (
            "null"
            if g.items is None
            else "[" + ",".join([owners[j] for j in g.items[k].tolist()]) + "]"
        )
        parts.append(
            f'{{"id":{ids[k]},"count":{r + s + o},"kinds":{{"reservation":{r},'
            f'"restriction":{s},"obstacle":{o}}},"owners":{who}}}'
        )
    body = head[: -len("[]}")] + "[" + ",".join(parts) + "]}"
    return Response(body.encode(), media_type="application/json")


@router.get(
    "",
    response_model=OccupancyOut,
    response_model_exclude_none=False,
    responses=problem_responses(413, 422),
)
async def get_occupancy(
    request: Request,
    token: TokenDep,
    settings: SettingsDep,
    bbox: BBoxDep,
    altitudes: AltitudesDep,
    alt_lower: Annotated[float, Query(ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)] = 0.0,
    alt_upper: Annotated[float, Query(ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)] = 150.0,
    altitude_datum: Annotated[InputDatum, Query()] = "W84",
    time_start: Annotated[Instant | None, Query(description="default: now")] = None,
    time_end: Annotated[Instant | None, Query(description="default: +1 h")] = None,
    zoom: Annotated[int, Query(ge=0, le=25)] = 20,
    aggregate: Annotated[str | None, Query(description=AGGREGATE_DOC)] = None,
) -> Response:
    """Occupied voxels of a bbox and altitude band in a window, with counts per kind.

    Every authenticated principal may ask. Municipalities and admins also get the
    `owners` of each cell (reservation id and operator); others see only kinds and counts.
    """
    cap = settings.occupancy_max_voxels
    window = _window(time_start, time_end)

    def work(session: Session, me: Principal) -> Response:
        area = {
            "type": "Polygon",
            "coordinates": [
                [
                    (bbox.west, bbox.south),
                    (bbox.east, bbox.south),
                    (bbox.east, bbox.north),
                    (bbox.west, bbox.north),
                    (bbox.west, bbox.south),
                ]
            ],
        }
        band = w84_band(session, altitudes, area, alt_lower, alt_upper, altitude_datum)
        region = occupancy.bbox_region(bbox, band[0], band[1], zoom, max_voxels=cap)
        return _answer(session, me, region, window, aggregate, band, max_voxels=cap, field="bbox")

    return await in_transaction(request, token, work)


@router.post("/query", response_model=OccupancyOut, responses=problem_responses(400, 413, 422))
def query_occupancy(
    body: OccupancyQuery,
    session: SessionDep,
    me: PrincipalDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
) -> Response:
    """Occupancy of a GeoJSON polygon and altitude band, or of a list of spatial IDs."""
    cap = settings.occupancy_max_voxels
    band: tuple[float | None, float | None] = (None, None)
    if body.geometry is not None:
        area = geojson(body.geometry)
        lower, upper = w84_band(
            session, altitudes, area, body.alt_lower, body.alt_upper, body.altitude_datum
        )
        region = occupancy.geometry_region(area, lower, upper, body.zoom, max_voxels=cap)
        field, band = "geometry", (lower, upper)
    elif body.altitude_datum != "W84":
        raise InvalidInput(
            "altitude_datum applies to a geometry's band; spatial IDs carry W84 altitudes",
            field="altitude_datum",
        )
    else:
        assert body.spatial_ids is not None
        region = occupancy.ids_region(body.spatial_ids, body.zoom, max_voxels=cap)
        field = "spatial_ids"
    window = _window(body.time_start, body.time_end)
    return _answer(session, me, region, window, body.aggregate, band, max_voxels=cap, field=field)
