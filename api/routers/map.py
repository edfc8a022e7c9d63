"""The web map: the page at ``/``, its static files and the public map data it draws.

Public map data (no key): the city's buildings and other obstacles as vector tiles and the
road graph as GeoJSON, under ``/v1/map``. Everything about who flies where (reservations,
restrictions, occupancy, ``/v1/tiles``) still needs a bearer token.
"""

from __future__ import annotations

import html
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.bbox import MapBBoxDep
from api.deps import SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.routers.tiles import MVT
from api.settings import REPO_ROOT
from registry.services import map_data, tiles

STATIC = Path(__file__).resolve().parents[1] / "static"
mimetypes.add_type("text/javascript", ".mjs")  # ES modules need a JavaScript MIME type
PUBLIC_MIN_ZOOM = 12
"""Coarsest public obstacle tile (about 10 km wide): keyless requests stay city-sized."""
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}

page = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/v1/map", tags=["map"], responses=problem_responses(422, 503))


def shown_path(path: Path) -> str:
    """``path`` as the page names it: relative to the checkout when inside it."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


@page.get("/")
def index(settings: SettingsDep) -> HTMLResponse:
    """The web map (no authentication: the page asks for a key itself).

    The page is told where ``kukan demo load`` writes the demo keys (``KUKAN_DEMO_KEYS_FILE``).
    """
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    keys = html.escape(shown_path(settings.demo_keys_file), quote=True)
    text = text.replace("{{demo_keys_file}}", keys)
    return HTMLResponse(text, headers={"Cache-Control": "no-cache"})


@router.get("/roads.geojson")
def roads(
    session: SessionDep,
    bbox: MapBBoxDep,
) -> dict[str, Any]:
    """Road and footway edges of the routing graph meeting a bbox, as a FeatureCollection.

    Public (no key). Properties: `highway` (OSM), `name`, `walk`, `drive`. At most 20 000
    edges; a bbox over 0.01 square degrees is a 422.
    """
    return map_data.roads_geojson(session=session, bbox=bbox)


@router.get(
    "/obstacles/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}, "description": "a Mapbox vector tile, layer `obstacles`"},
        204: {"description": "no obstacle in this tile (empty tile, no body)"},
    },
)
def obstacle_tile(
    session: SessionDep,
    z: Annotated[int, PathParam(ge=PUBLIC_MIN_ZOOM, le=tiles.MAX_TILE_ZOOM)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)],
) -> Response:
    """The buildings and other obstacles of tile z/x/y, without a key.

    Public (no key), z from 12. Features carry `kind`, `id`, `obstacle_kind`, `name` and
    `altitude_lower`/`altitude_upper` (metres, W84); who declared or imported them is left
    out (that is in `/v1/tiles/obstacles` for municipalities and admins). An empty tile
    is `204 No Content`.
    """
    at = datetime.now(UTC)  # obstacles have no time window; the tile query takes one
    body = tiles.tile(session=session, actor=None, layer="obstacles", z=z, x=x, y=y, at=at)
    if not body:
        return Response(status_code=204, headers=PUBLIC_CACHE)
    return Response(content=body, media_type=MVT, headers=PUBLIC_CACHE)


def install(app: FastAPI) -> None:
    """Add the page, the public map data and ``/static`` to ``app``."""
    app.include_router(page)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
