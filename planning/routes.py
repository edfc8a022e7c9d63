"""Plan (and reserve) one route for a vehicle against the database.

Drones are planned by :class:`routing.DronePlanner` at ``zoom`` (default 23), reusing the
static grids of earlier requests in the same area (the app's ``PlanningCaches.grids``,
keyed by the occupancy's ``static_version``, so a new obstacle or restriction invalidates
them);
robots and cars by :class:`routing.GroundPlanner` on the stored road graph of ``source`` (``walk``
for robots, ``drive`` for cars). Without ``source`` the road source with the node nearest
the origin is used. Both plan against :class:`planning.postgis_occupancy.PostgisOccupancy`,
the route is checked by :func:`routing.validate_route`, and with ``reserve`` its voxels
are reserved in the caller's transaction (one volume per visit, each with its own window,
so nothing the planner avoided is over-reserved). With ``replaces`` (a live reservation of
the same vehicle) the route is planned as if that reservation were gone and, with
``reserve``, swapped into it by :func:`registry.services.replace.replace_reservation` (same
id, in one transaction: the old boxes hold their space until the new ones are in, and a
swap that loses a race leaves the reservation as it was). When the reservation loses a race
(``Contested``) the savepoint is rolled back and the route re-planned against the new
state, at most ``max_retries`` times, then the last ``Contested`` (409) is raised.

A search that exhausts its :class:`Budget` raises ``routing.SearchBudgetExceeded``
(``NoRoute`` with reason ``budget_exceeded``): the API answers 422 with that reason, so a
client can retry with a larger budget or a nearer destination; it never hangs.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from planning.airway_inputs import AIRWAY_SNAP_M, keeps_to_airways, plan_on_airways
from planning.budget import Budget
from planning.caches import PlanningCaches
from planning.refusals import name_blockers
from planning.route_inputs import (
    DEFAULT_ZOOM,
    HORIZON_S,
    MovingOnly,
    check_distance,
    limits_of,
    load_vehicle,
    nearest_source,
    network_for,
    occupancy_for,
)
from registry.errors import Conflict, InvalidInput
from registry.models import (
    LIVE_STATES,
    ROAD_ZOOM,
    Principal,
    Reservation,
    Vehicle,
)
from registry.services.authority import check_priority
from registry.services.replace import replace_reservation
from registry.services.reservation_reads import get_reservation
from registry.services.reservations import Created, VolumeRequest, create_reservation
from registry.volume_errors import Contested
from routing import (
    DronePlanner,
    GroundPlanner,
    NoRoute,
    Route,
    RoutingError,
    validate_route,
)
from routing.drone import DENSE_MAX_SPAN_M
from routing.occupancy import merge_intervals
from routing.route import utc_ms
from routing.vehicle import VehicleLimits
from spatialid import Voxel

log = logging.getLogger("kukan.routes")


class InvalidPlan(RoutingError):
    """The planner returned a route the validator rejects (a bug, reported not reserved)."""

    reason = "invalid_route"


@dataclass
class Planned:
    """A planned route, how it was planned, and the reservation when one was made."""

    route: Route
    planner: str
    zoom: int
    created: Created | None = None
    attempts: int = 1
    source: str | None = None
    replaced: bool = False
    """The reservation is an existing one whose volumes the route replaced."""


def _plan_once(
    session: Session,
    vehicle: Vehicle,
    limits: VehicleLimits,
    origin: Sequence[float],
    destination: Sequence[float],
    departure: float,
    zoom: int,
    source: str | None,
    budget: Budget,
    caches: PlanningCaches,
    exclude: uuid.UUID | None,
    airways_only: bool = False,
) -> Route:
    budget.check("reading the occupancy")
    occ = occupancy_for(session, departure, limits, zoom, exclude)
    if airways_only:
        route = plan_on_airways(
            session=session,
            occupancy=occ,
            limits=limits,
            origin=origin,
            destination=destination,
            departure=departure,
            zoom=zoom,
            max_expansions=budget.expansions,
            time_budget_s=budget.left(),
            snap_m=limits.snap_max_m,  # the airway snap distance (plan_route sets it)
        )
    elif vehicle.kind == "drone":
        drone = DronePlanner(
            occ,
            limits,
            zoom=zoom,
            max_expansions=budget.expansions,
            time_budget_s=budget.left(),
            max_grid_bytes=budget.grid_bytes,
            grid_cache=caches.grids if caches.grids.max_bytes > 0 else None,
            dense_max_span_m=budget.dense_span_m
            if budget.dense_span_m is not None
            else DENSE_MAX_SPAN_M,
        )
        route = drone.plan(origin, destination, departure)
    else:
        assert source is not None
        net = network_for(
            session=session,
            source=source,
            kind=vehicle.kind,
            limits=limits,
            networks=caches.networks,
        )
        budget.check("the search")  # loading a large network may take the whole budget
        ground = GroundPlanner.from_occupancy(
            net, occ, departure, limits, heuristics=caches.networks.heuristics(net)
        )
        ground.max_expansions = budget.expansions
        ground.deadline = time.perf_counter() + budget.left()
        route = ground.plan((origin[0], origin[1]), (destination[0], destination[1]), departure)
    problems = validate_route(route, occ if vehicle.kind == "drone" else MovingOnly(occ), limits)
    if problems:
        log.error("planner returned an invalid route: %s", problems[:5])
        raise InvalidPlan("the planned route failed validation: " + "; ".join(problems[:3]))
    return route


def route_volumes(route: Route) -> list[VolumeRequest]:
    """One volume per voxel and window (overlapping windows merged)."""
    windows: dict[Voxel, list[tuple[float, float]]] = {}
    for v, t0, t1 in route.windows():
        windows.setdefault(v, []).append((t0, t1))
    out = []
    for v, pairs in windows.items():
        one = len(pairs) == 1 and pairs[0][0] < pairs[0][1]  # most voxels: one visit
        sid = str(v)
        for t0, t1 in pairs if one else merge_intervals(pairs):
            out.append(
                VolumeRequest(
                    spatial_ids=[sid], time_start=utc_ms(t0), time_end=utc_ms(t1, up=True)
                )
            )
    return out


def reserve_route(
    *,
    session: Session,
    actor: Principal,
    route: Route,
    vehicle_id: uuid.UUID,
    priority: int,
    reason: str | None = None,
) -> Created:
    """Reserve every visit of ``route`` in a savepoint (rolled back on ``Contested``).

    A ground route reserves all its voxels, including those it shares with the buildings
    beside the road: the reservation service lets robots and cars share voxels with
    obstacles (never with each other, nor with restrictions).
    """
    with session.begin_nested():
        return create_reservation(
            session=session,
            actor=actor,
            volumes=route_volumes(route),
            priority=priority,
            vehicle_id=vehicle_id,
            reason=reason,
        )


def load_replaced(
    *, session: Session, actor: Principal | None, reservation_id: uuid.UUID, vehicle: Vehicle
) -> Reservation:
    """The live reservation of ``vehicle`` a route replaces (404 for another operator's)."""
    if actor is None:
        raise InvalidInput("replacing needs a principal (a bearer token)", field="replaces")
    res = get_reservation(session=session, actor=actor, reservation_id=reservation_id)
    if res.state not in LIVE_STATES:
        raise Conflict(f"reservation {res.id} is {res.state}: only a live one can be replaced")
    if res.vehicle_id != vehicle.id:
        raise InvalidInput(
            f"reservation {res.id} is not one of vehicle {vehicle.id}", field="replaces"
        )
    return res


def swap_route(
    *, session: Session, actor: Principal, route: Route, reservation: Reservation, version: int
) -> Created:
    """Replace the volumes of ``reservation`` (still at ``version``) by the route's visits in
    a savepoint (rolled back on ``Contested``: the reservation stays as it was)."""
    with session.begin_nested():
        done = replace_reservation(
            session=session,
            actor=actor,
            reservation_id=reservation.id,
            volumes=route_volumes(route),
            expected_versions={version},
        )
    return Created(done.reservation, volumes=done.volumes)


def plan_route(
    *,
    session: Session,
    caches: PlanningCaches,
    actor: Principal | None,
    vehicle_id: uuid.UUID,
    origin: Sequence[float],
    destination: Sequence[float],
    departure_time: datetime,
    zoom: int | None = None,
    reserve: bool = False,
    priority: int = 0,
    reason: str | None = None,
    safety_buffer_s: float | None = None,
    clearance_m: float | None = None,
    source: str | None = None,
    max_retries: int = 3,
    budget: Budget | None = None,
    snap_distances: Mapping[str, float] | None = None,
    replaces: uuid.UUID | None = None,
    max_distances: Mapping[str, float] | None = None,
    airways_only: bool | None = None,
) -> Planned:
    """Plan a route for the vehicle; with ``reserve`` also reserve it, with ``replaces``
    into that reservation (see the module doc).

    ``snap_distances`` (metres by vehicle kind) bounds how far a robot's or car's ends may
    be from a road it may use (``DEFAULT_SNAP_DISTANCES_M`` for a kind it leaves out);
    ``max_distances`` (metres by kind, ``DEFAULT_MAX_DISTANCE_M`` for a kind it leaves
    out) how far the destination may be from the origin: farther is ``TooFar`` (reason
    ``too_far``), refused before any occupancy read or search. ``budget`` is started here
    unless its deadline is already set, and every attempt keeps to that one deadline.
    ``airways_only`` (default: the vehicle's) plans a drone on the airways only
    (:mod:`planning.airway_inputs`); a vehicle that requires them may not ask false.

    Reasons of ``NoRoute``: ``too_far``, ``no_path``, ``origin_blocked``,
    ``destination_blocked``, ``outside_altitude_band``, ``no_edge_nearby``,
    ``no_airway_nearby``, ``budget_exceeded``."""
    budget = (budget or Budget()).started()
    if departure_time.tzinfo is None:
        raise InvalidInput("departure_time needs a time zone", field="departure_time")
    vehicle = load_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    check_distance(origin, destination, vehicle.kind, max_distances)
    airways_only = keeps_to_airways(vehicle, airways_only)
    if reserve and actor is None:
        raise InvalidInput("reserving needs a principal (a bearer token)", field="reserve")
    if reserve and actor is not None:  # refuse an ungranted priority before planning
        check_priority(session=session, actor=actor, priority=priority)
    old = None
    if replaces is not None:
        old = load_replaced(session=session, actor=actor, reservation_id=replaces, vehicle=vehicle)
    old_version = old.version if old is not None else 0
    limits = limits_of(vehicle, safety_buffer_s, clearance_m, snap_distances)
    if airways_only:
        snap = (snap_distances or {}).get("airway", AIRWAY_SNAP_M)
        limits = dataclasses.replace(limits, snap_max_m=snap)
    departure = departure_time.timestamp()
    if airways_only:
        planner, z = "airways", zoom or DEFAULT_ZOOM
    elif vehicle.kind == "drone":
        planner, z = "drone", zoom or DEFAULT_ZOOM
    else:
        planner, z = "ground", ROAD_ZOOM
        source = source or nearest_source(session=session, lng=origin[0], lat=origin[1])
    last: Contested | None = None
    for attempt in range(1, max_retries + 2):
        budget.check("planning" if attempt == 1 else "re-planning after a lost race")
        try:
            route = _plan_once(
                session,
                vehicle,
                limits,
                origin,
                destination,
                departure,
                z,
                source,
                budget,
                caches,
                replaces,
                airways_only,
            )
        except NoRoute as exc:
            name_blockers(
                session,
                exc,
                ends=(origin, destination),
                ground=vehicle.kind != "drone",
                zoom=z,
                departure=departure,
                horizon_s=HORIZON_S,
                limits=limits,
                exclude=replaces,
            )
            raise
        if not reserve:
            return Planned(route, planner, z, source=source)
        assert actor is not None
        try:
            if old is not None:
                created = swap_route(
                    session=session, actor=actor, route=route, reservation=old, version=old_version
                )
                return Planned(route, planner, z, created, attempt, source, replaced=True)
            created = reserve_route(
                session=session,
                actor=actor,
                route=route,
                vehicle_id=vehicle.id,
                priority=priority,
                reason=reason,
            )
        except Contested as exc:
            if not any(c.kind == "reservation" for c in exc.conflicts):
                raise  # a blocker does not move: re-planning would give the same route
            log.info("route reservation lost a race (attempt %d): re-planning", attempt)
            last = exc
            continue
        return Planned(route, planner, z, created, attempt, source)
    assert last is not None
    raise last
