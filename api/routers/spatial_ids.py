"""Spatial ID endpoints over the ``spatialid`` library (no authentication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

import spatialid
from api.altitudes import w84_band
from api.deps import AltitudesDep, SettingsDep
from api.errors import PayloadTooLarge
from api.problem_schemas import problem_responses
from api.schemas import CoverRequest, CoverResponse, geojson
from registry.db import session_scope
from registry.errors import InvalidInput
from spatialid import MAX_ZOOM, Voxel

router = APIRouter(prefix="/v1/spatial-ids", tags=["spatial ids"])
DATUM = "W84"


@router.get("/{z}/{f}/{x}/{y}", responses=problem_responses(422))
def spatial_id(z: int, f: int, x: int, y: int) -> dict[str, Any]:
    """A spatial ID as a GeoJSON Feature: footprint polygon, bounds, centre, altitudes."""
    try:
        v = spatialid.validate(Voxel(z, f, x, y))
    except spatialid.SpatialIdError as exc:
        field = f"path.{exc.field}" if exc.field else None
        raise InvalidInput(str(exc), field=field) from None
    west, south, bottom, east, north, top = (float(b) for b in spatialid.voxel_bounds(v))
    lng, lat, alt = (float(c) for c in spatialid.voxel_center(v))
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "id": str(v),
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [west, south, bottom, east, north, top],
        "properties": {
            "id": str(v),
            "zoom": v.z,
            "f": v.f,
            "x": v.x,
            "y": v.y,
            "bounds": {
                "west": west,
                "south": south,
                "bottom": bottom,
                "east": east,
                "north": north,
                "top": top,
            },
            "centre": [lng, lat, alt],
            "altitude_lower": bottom,
            "altitude_upper": top,
            "altitude_datum": DATUM,
            "height_m": top - bottom,
            "parent": str(spatialid.parent(v)) if v.z > 0 else None,
            "children_count": 8 if v.z < MAX_ZOOM else 0,
        },
    }


@router.post(
    "/cover",
    response_model=CoverResponse,
    responses=problem_responses(400, 413, 422),
)
def cover(
    body: CoverRequest, request: Request, settings: SettingsDep, altitudes: AltitudesDep
) -> CoverResponse:
    """The spatial IDs at ``zoom`` covering a GeoJSON geometry and an altitude band (a band
    in `MSL` or `AGL` is covered as the `W84` band holding it over the whole geometry)."""
    cap = settings.cover_max_voxels
    area = geojson(body.geometry)
    lower, upper = body.altitude_lower, body.altitude_upper
    if body.altitude_datum != "W84":
        with session_scope(request.app.state.sessionmaker) as session:  # AGL reads terrain
            lower, upper = w84_band(session, altitudes, area, lower, upper, body.altitude_datum)
    try:
        voxels = spatialid.geometry_to_voxels(
            area,
            body.zoom,
            alt_lower=lower,
            alt_upper=upper,
            max_voxels=cap,
        )
    except spatialid.TooManyVoxels as exc:
        raise PayloadTooLarge(
            f"the cover would have more than the cap of {cap} spatial IDs ({exc}); "
            "use a lower zoom, a thinner altitude band or a smaller area",
            cap=cap,
            count_at_least=exc.count,
        ) from None
    except spatialid.SpatialIdError as exc:
        raise InvalidInput(str(exc), field="body.geometry") from None
    ids = [str(v) for v in (voxels.compact() if body.compact else voxels)]
    return CoverResponse(ids=ids, count=len(ids), zoom=body.zoom, compact=body.compact)
