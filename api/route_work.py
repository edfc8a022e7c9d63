"""The work of the route endpoints, the same in the API process and in a planning worker:
a validated request body and the caller -> the response model (or a domain exception)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.route_schemas import (
    FleetItem,
    FleetRequest,
    FleetResponse,
    RouteRequest,
    RouteResponse,
    Waypoint,
    reservation_ref,
    route_out,
)
from api.settings import Settings
from planning import fleet_routes, routes
from planning.budget import Budget
from planning.caches import PlanningCaches
from registry.models import Principal
from registry.services.datums import Converter


def budget(settings: Settings, deadline: float | None = None) -> Budget:
    """The planning budget of one route request (its deadline when already fixed)."""
    return Budget(
        seconds=settings.route_budget_s,
        expansions=settings.route_max_expansions,
        deadline=deadline,
        grid_bytes=int(settings.route_max_grid_mb * 2**20),
        dense_span_m=settings.route_dense_max_span_m,
    )


def point(
    session: Session, altitudes: Converter, p: Waypoint, name: str
) -> tuple[float, float, float]:
    """A request point as ``(lng, lat, W84 height)``."""
    if p.altitude_datum == "W84":
        return p.lng, p.lat, p.alt
    field = f"{name}.altitude_datum"
    return p.lng, p.lat, altitudes.height(session, p.lng, p.lat, p.alt, p.altitude_datum, field)


def route_response(
    session: Session,
    me: Principal,
    body: RouteRequest,
    *,
    settings: Settings,
    caches: PlanningCaches,
    altitudes: Converter,
    budget: Budget,
) -> RouteResponse:
    """Plan (and reserve) the route of ``body`` for ``me`` in ``session``'s transaction."""
    planned = routes.plan_route(
        session=session,
        caches=caches,
        actor=me,
        vehicle_id=body.vehicle_id,
        origin=point(session, altitudes, body.origin, "origin"),
        destination=point(session, altitudes, body.destination, "destination"),
        departure_time=body.departure_time,
        zoom=body.zoom,
        reserve=body.reserve,
        priority=body.priority,
        reason=body.reason,
        safety_buffer_s=body.safety_buffer_s,
        clearance_m=body.clearance_m,
        source=body.source,
        budget=budget,
        snap_distances=settings.snap_distances(),
        replaces=body.replaces,
        airways_only=body.airways_only,
        max_distances=settings.max_distances(),
    )
    return RouteResponse(
        route=route_out(planned),
        reservation=reservation_ref(planned),
        attempts=planned.attempts,
        replaced=planned.replaced,
    )


def fleet_response(
    session: Session,
    me: Principal,
    body: FleetRequest,
    *,
    settings: Settings,
    caches: PlanningCaches,
    budget: Budget,
) -> FleetResponse:
    """Plan (and reserve) the routes of ``body`` for ``me`` in ``session``'s transaction."""
    outcomes = fleet_routes.plan_fleet_routes(
        session=session,
        caches=caches,
        actor=me,
        requests=[r.model_dump() for r in body.requests],
        budget=budget,
        snap_distances=settings.snap_distances(),
        max_distances=settings.max_distances(),
    )
    items = [
        FleetItem(
            index=i,
            vehicle_id=o.vehicle_id,
            ok=o.planned is not None,
            route=route_out(o.planned) if o.planned else None,
            reservation=reservation_ref(o.planned) if o.planned else None,
            reason=o.reason,
            detail=o.detail,
        )
        for i, o in enumerate(outcomes)
    ]
    served = sum(1 for it in items if it.ok)
    return FleetResponse(results=items, served=served, unserved=len(items) - served)
