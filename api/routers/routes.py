"""Routes: plan a conflict-free 4D route for a vehicle, and reserve it in the same step."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from api.deps import AltitudesDep, PlanningCachesDep, SettingsDep, TokenDep, in_transaction
from api.problem_schemas import problem_responses
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
from registry.models import Principal

router = APIRouter(tags=["routes"], responses=problem_responses(401, 503))
PLAN_ERRORS = problem_responses(400, 403, 404, 409, 412, 413, 422)


def budget(settings: Settings) -> routes.Budget:
    """The search budget of one route request."""
    return routes.Budget(seconds=settings.route_budget_s, expansions=settings.route_max_expansions)


@router.post(
    "/v1/routes",
    response_model=RouteResponse,
    responses={201: {"model": RouteResponse, "description": "planned and reserved"}, **PLAN_ERRORS},
)
async def plan_route(
    body: RouteRequest,
    request: Request,
    response: Response,
    token: TokenDep,
    settings: SettingsDep,
    caches: PlanningCachesDep,
    altitudes: AltitudesDep,
) -> RouteResponse:
    """Plan a route avoiding obstacles, restrictions and reservations; 201 when reserved.

    Drones fly over voxels at `zoom` (default 23) within their altitude band; robots walk
    and cars drive on the road graph of `source` (default: the one nearest the origin).
    With `reserve: true` the route is reserved in the same transaction (re-planned when a
    concurrent reservation takes its space first; 409 after bounded retries). No route:
    422 with `reason` (`no_path`, `origin_blocked`, `destination_blocked`,
    `outside_altitude_band`, `no_edge_nearby` with `field` and `distance_m` when an end
    is farther from a usable road than the kind's snap distance, or `budget_exceeded` when
    the search budget ran out).
    """

    def point(session: Session, p: Waypoint, name: str) -> tuple[float, float, float]:
        if p.altitude_datum == "W84":
            return p.lng, p.lat, p.alt
        field = f"{name}.altitude_datum"
        return p.lng, p.lat, altitudes.height(session, p.lng, p.lat, p.alt, p.altitude_datum, field)

    def work(session: Session, me: Principal) -> RouteResponse:
        planned = routes.plan_route(
            session=session,
            caches=caches,
            actor=me,
            vehicle_id=body.vehicle_id,
            origin=point(session, body.origin, "origin"),
            destination=point(session, body.destination, "destination"),
            departure_time=body.departure_time,
            zoom=body.zoom,
            reserve=body.reserve,
            priority=body.priority,
            reason=body.reason,
            safety_buffer_s=body.safety_buffer_s,
            clearance_m=body.clearance_m,
            source=body.source,
            budget=budget(settings),
            snap_distances=settings.snap_distances(),
            replaces=body.replaces,
            airways_only=body.airways_only,
        )
        return RouteResponse(
            route=route_out(planned),
            reservation=reservation_ref(planned),
            attempts=planned.attempts,
            replaced=planned.replaced,
        )

    out = await in_transaction(request, token, work)
    response.status_code = 201 if out.reservation is not None and not out.replaced else 200
    return out


@router.post("/v1/fleets/routes", response_model=FleetResponse, responses=PLAN_ERRORS)
async def plan_fleet(
    body: FleetRequest,
    request: Request,
    token: TokenDep,
    settings: SettingsDep,
    caches: PlanningCachesDep,
) -> FleetResponse:
    """Plan many ground routes at once with one shared reservation table, by priority.

    Every request names a robot or car of the caller; results come in request order, each
    a route (and its reservation when `reserve` was asked) or the `reason` it has none.
    """

    def work(session: Session, me: Principal) -> FleetResponse:
        outcomes = fleet_routes.plan_fleet_routes(
            session=session,
            caches=caches,
            actor=me,
            requests=[r.model_dump() for r in body.requests],
            budget=budget(settings),
            snap_distances=settings.snap_distances(),
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

    return await in_transaction(request, token, work)
