"""Routes: plan a conflict-free 4D route for a vehicle, and reserve it in the same step.

Both endpoints plan in the app's planning workers (``app.state.planning_pool``): the
caller is authenticated here, the worker runs the plan(-and-reserve) transaction. Without
workers (``KUKAN_PLANNING_WORKERS=0``) they plan in a thread of the API process.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from api.deps import AltitudesDep, PlanningCachesDep, SettingsDep, TokenDep, in_transaction
from api.planning_pool import PlanningPool
from api.problem_schemas import problem_responses
from api.route_schemas import FleetRequest, FleetResponse, RouteRequest, RouteResponse
from api.route_work import budget, fleet_response, route_response
from registry.models import Principal

router = APIRouter(tags=["routes"], responses=problem_responses(401, 503))
PLAN_ERRORS = problem_responses(400, 403, 404, 409, 412, 413, 422)


def _pool(request: Request) -> PlanningPool | None:
    pool: PlanningPool | None = getattr(request.app.state, "planning_pool", None)
    return pool


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
    422 with `reason` (`too_far` with `field` (`destination`), `distance_m` and
    `max_distance_m` when the destination is farther from the origin than a route of the
    vehicle's kind may be, refused before any planning; `no_path`, `origin_blocked`,
    `destination_blocked`, `outside_altitude_band`, `no_edge_nearby` with `field` and
    `distance_m` when an end is farther from a usable road than the kind's snap distance,
    `no_airway_nearby` likewise for an `airways_only` drone and the corridors, or
    `budget_exceeded` when the planning budget ran out: every step of the plan keeps to
    one deadline). 503 when the planning worker stopped or every one stayed busy.
    """
    started, pool = time.monotonic(), _pool(request)
    out: RouteResponse
    if pool is not None:
        me = await in_transaction(request, token, lambda _s, p: p.id)
        planned = await pool.run("route", body, me, started)
        assert isinstance(planned, RouteResponse)
        out = planned
    else:
        b = budget(settings, started + settings.route_budget_s)

        def work(session: Session, me: Principal) -> RouteResponse:
            return route_response(
                session,
                me,
                body,
                settings=settings,
                caches=caches,
                altitudes=altitudes,
                budget=b,
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
    a route (and its reservation when `reserve` was asked) or the `reason` it has none
    (`too_far` for an item whose destination is too far from its origin, `budget_exceeded`
    for the items left when the planning budget ran out, and those of a single route).
    """
    started, pool = time.monotonic(), _pool(request)
    if pool is not None:
        me = await in_transaction(request, token, lambda _s, p: p.id)
        planned = await pool.run("fleet", body, me, started)
        assert isinstance(planned, FleetResponse)
        return planned
    b = budget(settings, started + settings.route_budget_s)

    def work(session: Session, me: Principal) -> FleetResponse:
        return fleet_response(session, me, body, settings=settings, caches=caches, budget=b)

    return await in_transaction(request, token, work)
