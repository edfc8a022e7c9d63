"""The web map: the page at ``/``, its static files and the roads GeoJSON it draws."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.deps import PrincipalDep, SessionDep
from api.schemas import problem_responses
from registry.services import map_data

STATIC = Path(__file__).resolve().parents[1] / "static"
mimetypes.add_type("text/javascript", ".mjs")  # ES modules need a JavaScript MIME type

page = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/v1/map", tags=["map"], responses=problem_responses(401, 422, 503))


@page.get("/")
def index() -> FileResponse:
    """The web map (no authentication: the page asks for a key itself)."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/roads.geojson")
def roads(
    session: SessionDep,
    me: PrincipalDep,
    bbox: Annotated[str, Query(description="west,south,east,north (degrees)")],
) -> dict[str, Any]:
    """Road and footway edges of the routing graph meeting a bbox, as a FeatureCollection.

    Properties: `highway` (OSM), `name`, `walk`, `drive`. At most 20 000 edges; a bbox
    over 0.01 square degrees is a 422.
    """
    return map_data.roads_geojson(session=session, bbox=map_data.parse_bbox(bbox))


def install(app: FastAPI) -> None:
    """Add the page, the roads endpoint and ``/static`` to ``app``."""
    app.include_router(page)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
