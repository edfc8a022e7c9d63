"""Request and response bodies of ``POST /v1/routes`` and ``POST /v1/fleets/routes``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
)

from api.schemas import INPUT_DATUM_DOC, Datum, Input, InputDatum, Instant
from planning.fleet_routes import FleetReason
from planning.routes import Planned
from routing.route import rfc3339_text, utc_ms

RouteTime = Annotated[
    AwareDatetime,
    PlainSerializer(rfc3339_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A route time: a UTC datetime on a whole millisecond, sent as RFC 3339 with
milliseconds (``2031-05-01T10:00:00.000Z``)."""


class Waypoint(Input):
    """A point: degrees (WGS84) and an altitude (ground vehicles ignore it)."""

    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-85.05, le=85.05)
    alt: float = Field(default=0.0, ge=-1000, le=10_000, description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = "W84"


class RouteRequest(Input):
    """Plan a route, and reserve it with ``reserve: true``."""

    vehicle_id: uuid.UUID
    origin: Waypoint
    destination: Waypoint
    departure_time: Instant
    zoom: int | None = Field(default=None, ge=15, le=25, description="drones only (default 23)")
    reserve: StrictBool = False
    safety_buffer_s: float | None = Field(default=None, ge=0, le=300)
    clearance_m: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="drones only: keep at least this far from obstacles and permanent "
        "restrictions, horizontally and vertically (default 0)",
    )
    priority: int = Field(
        default=0, ge=0, le=100, description="with reserve: at most the operator's grant"
    )
    reason: str | None = Field(
        default=None, max_length=200, description="with reserve: why (shown to whom it preempts)"
    )
    source: str | None = Field(
        default=None, description="road data source (ground vehicles; default: nearest)"
    )
    airways_only: StrictBool | None = Field(
        default=None,
        description="drones: keep to the airways (default: the vehicle's setting; a "
        "vehicle that requires them may not ask false)",
    )
    replaces: uuid.UUID | None = Field(
        default=None,
        description="a live reservation of the same vehicle to re-plan: the route is "
        "planned as if it were gone and, with `reserve`, swapped into it (same id, its "
        "priority kept) in one transaction; not in fleet requests",
    )


class FleetRequest(Input):
    """Many route requests planned together (robots and cars on one road source)."""

    requests: list[RouteRequest] = Field(min_length=1, max_length=500)


class StId(BaseModel):
    """A spatial ID with the window the vehicle holds it (safety buffer included)."""

    id: str
    time_start: RouteTime
    time_end: RouteTime


class LineStringZ(BaseModel):
    """A GeoJSON LineString with ``[lng, lat, alt]`` positions."""

    type: Literal["LineString"] = "LineString"
    coordinates: list[list[float]]


class RouteOut(BaseModel):
    """A planned route: its voxels in time, the line with per-vertex times, totals."""

    spatial_ids: list[StId]
    geometry: LineStringZ
    altitude_datum: Datum = Field(default="W84", description="of the geometry's altitudes")
    times: list[RouteTime]
    length_m: float
    departure: RouteTime
    arrival: RouteTime
    duration_s: float
    zoom: int
    planner: Literal["drone", "ground", "airways"]
    safety_buffer_s: float
    source: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class ReservationRef(BaseModel):
    """The reservation made for a route."""

    id: uuid.UUID
    state: str
    version: int


class RouteResponse(BaseModel):
    """The route, and the reservation when one was requested."""

    route: RouteOut
    reservation: ReservationRef | None = None
    attempts: int = 1
    replaced: bool = Field(
        default=False, description="the reservation is that of `replaces`, its volumes replaced"
    )


class FleetItem(BaseModel):
    """One request's outcome: a route (and reservation), or the reason it has none."""

    index: int
    vehicle_id: uuid.UUID
    ok: bool
    route: RouteOut | None = None
    reservation: ReservationRef | None = None
    reason: FleetReason | None = Field(
        default=None, description="why there is no route (`contested`: lost its reservation)"
    )
    detail: str | None = None


class FleetResponse(BaseModel):
    """Per-request results in request order."""

    results: list[FleetItem]
    served: int
    unserved: int


def route_out(p: Planned) -> RouteOut:
    """The API shape of a planned route."""
    r = p.route
    feature = r.to_geojson()
    times = [utc_ms(w[3]) for w in r.waypoints]
    meta = {k: v for k, v in r.meta.items() if isinstance(v, int | float | str | bool)}
    meta["expansions"] = r.expansions
    return RouteOut(
        spatial_ids=[
            StId(id=str(v), time_start=utc_ms(t0), time_end=utc_ms(t1, up=True))
            for v, t0, t1 in r.windows()
        ],
        geometry=LineStringZ(coordinates=feature["geometry"]["coordinates"]),
        times=times * 2 if len(times) == 1 else times,
        length_m=round(r.length_m, 3),
        departure=utc_ms(r.departure),
        arrival=utc_ms(r.arrival),
        duration_s=round(r.duration_s, 3),
        zoom=p.zoom,
        planner=p.planner,  # type: ignore[arg-type]
        safety_buffer_s=r.safety_buffer_s,
        source=p.source,
        meta=meta,
    )


def reservation_ref(p: Planned) -> ReservationRef | None:
    """The reservation of a planned route, if one was made."""
    if p.created is None:
        return None
    res = p.created.reservation
    return ReservationRef(id=res.id, state=res.state, version=res.version)
