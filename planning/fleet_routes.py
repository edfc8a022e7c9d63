"""Plan (and reserve) many ground routes at once: ``routing.plan_fleet`` seeded from the DB.

All requests use one road source (the request's ``source``, else the one nearest the
first origin). Robots and cars are planned per kind, robots first, with one shared
in-memory table seeded with the database's busy ground voxels, so they avoid each other
and everyone already reserved; a kind's requests share the slowest vehicle's limits (a
conservative simplification). With ``reserve`` each route is reserved in its own
savepoint; one that loses a race to a reservation made meanwhile is planned and booked
again on its own against the database as it is then, and reported ``contested`` only if
that fails too; the others stay reserved.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy.orm import Session

from planning.budget import Budget
from planning.caches import PlanningCaches
from planning.refusals import blocking
from planning.route_inputs import (
    HORIZON_S,
    MovingOnly,
    check_distance,
    limits_of,
    load_vehicle,
    nearest_source,
    network_for,
    occupancy_for,
)
from planning.routes import Planned, plan_route, reserve_route
from registry.errors import InvalidFields, InvalidInput
from registry.models import ROAD_ZOOM, Principal, Vehicle
from registry.services.authority import check_priority
from registry.volume_errors import Contested, VehicleBusy
from routing import (
    GroundRequest,
    MemoryOccupancy,
    NoRoute,
    TileBox,
    TooFar,
    plan_fleet,
    validate_route,
)
from routing.errors import Reason

FleetReason = Literal[Reason, "invalid_route", "contested", "vehicle_busy"]
"""Why a fleet item has no route: a routing reason, a route failing its check, or a lost
reservation race."""


@dataclass
class Outcome:
    """One request's result: a planned (maybe reserved) route, or why there is none."""

    vehicle_id: uuid.UUID
    planned: Planned | None = None
    reason: FleetReason | None = None
    detail: str | None = None


def _xy(p: Any) -> tuple[float, float]:
    return (float(p["lng"]), float(p["lat"])) if isinstance(p, Mapping) else (p[0], p[1])


def _one_request_per_vehicle(requests: Sequence[Mapping[str, Any]]) -> None:
    """A vehicle is in one place at a time: a fleet names each vehicle once, else 422
    naming every repeated item and the first that named the vehicle."""
    first: dict[Any, int] = {}
    errors: list[tuple[str, str]] = []
    for i, r in enumerate(requests):
        k = first.setdefault(r["vehicle_id"], i)
        if k != i:
            errors.append(
                (f"requests.{i}.vehicle_id", f"vehicle {r['vehicle_id']} is also in requests.{k}")
            )
    if errors:
        shown = "; ".join(f"{f} ({why})" for f, why in errors[:5])
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise InvalidFields(
            f"a fleet request names each vehicle once: {shown}{more}", errors=errors
        )


def plan_fleet_routes(
    *,
    session: Session,
    caches: PlanningCaches,
    actor: Principal,
    requests: Sequence[Mapping[str, Any]],
    budget: Budget | None = None,
    snap_distances: Mapping[str, float] | None = None,
    max_distances: Mapping[str, float] | None = None,
) -> list[Outcome]:
    """Plan every request (ground vehicles of the actor); outcomes in request order.

    ``budget`` bounds the whole request: each search's expansions, and one deadline from
    the start of planning (or the one it carries) for every step; requests left unplanned
    when the time is up say ``budget_exceeded``. ``snap_distances`` and ``max_distances``
    as for :func:`planning.routes.plan_route`: an item whose end is farther from the roads
    is unserved with ``no_edge_nearby``, one whose destination is too far from its origin
    with ``too_far`` (before any planning)."""
    budget = (budget or Budget()).started()
    _one_request_per_vehicle(requests)
    vehicles: list[Vehicle] = []
    for i, r in enumerate(requests):
        if r.get("replaces") is not None:
            raise InvalidInput(
                "fleet routes book new reservations; re-plan one with POST /v1/routes and replaces",
                field=f"requests.{i}.replaces",
            )
        v = load_vehicle(session=session, actor=actor, vehicle_id=r["vehicle_id"])
        if v.kind == "drone":
            raise InvalidInput(
                "fleet routes are for robots and cars; plan drones with POST /v1/routes",
                field=f"requests.{i}.vehicle_id",
            )
        if r.get("reserve"):  # an ungranted priority refuses the whole request, unplanned
            check_priority(
                session=session,
                actor=actor,
                priority=int(r.get("priority") or 0),
                field=f"requests.{i}.priority",
            )
        vehicles.append(v)
    first = requests[0]
    source = first.get("source") or nearest_source(
        session=session, lng=_xy(first["origin"])[0], lat=_xy(first["origin"])[1]
    )
    departures = [r["departure_time"].timestamp() for r in requests]
    outcomes = [Outcome(v.id) for v in vehicles]
    for i, (r, v) in enumerate(zip(requests, vehicles, strict=True)):
        try:
            check_distance(_xy(r["origin"]), _xy(r["destination"]), v.kind, max_distances)
        except TooFar as exc:
            outcomes[i].reason, outcomes[i].detail = exc.reason, exc.message
    memory = MemoryOccupancy()
    seeded = False
    for kind in ("robot", "car"):
        idx = [i for i, v in enumerate(vehicles) if v.kind == kind and not outcomes[i].reason]
        if not idx or _out_of_time(budget, idx, outcomes, "loading the road network"):
            continue
        slowest = min((vehicles[i] for i in idx), key=lambda v: v.max_speed_mps)
        buffers = [requests[i].get("safety_buffer_s") for i in idx]
        limits = limits_of(
            slowest,
            max((b for b in buffers if b is not None), default=None),
            snap_distances=snap_distances,
        )
        try:
            net = network_for(
                session=session, source=source, kind=kind, limits=limits, networks=caches.networks
            )
        except NoRoute as exc:  # e.g. no road of the source a car may use: these items only
            for i in idx:
                outcomes[i].reason, outcomes[i].detail = exc.reason, exc.message
            continue
        if _out_of_time(budget, idx, outcomes, "reading the occupancy"):
            continue
        t_min = min(departures[i] for i in idx)
        occ = occupancy_for(session, t_min, limits, ROAD_ZOOM)
        if not seeded:
            xs = [x for x, _ in net.pos.values()]
            ys = [y for _, y in net.pos.values()]
            box = TileBox(int(min(xs)) - 1, int(min(ys)) - 1, int(max(xs)) + 2, int(max(ys)) + 2)
            lo = t_min - 2 * limits.safety_buffer_s
            memory.add_busy_arrays(ROAD_ZOOM, occ.busy_in(ROAD_ZOOM, box, lo, math.inf))
            memory.add_static(occ.restricted_static(ROAD_ZOOM, box), restriction=True)
            seeded = True
        reqs = [
            GroundRequest(
                str(i),
                _xy(requests[i]["origin"]),
                _xy(requests[i]["destination"]),
                departures[i],
                int(requests[i].get("priority") or 0),
            )
            for i in idx
        ]
        result = plan_fleet(
            net,
            reqs,
            limits,
            occupancy=memory,
            max_expansions=budget.expansions,
            time_budget_s=budget.left(),
            heuristics=caches.networks.heuristics(net),
        )
        for rid, reason in result.unserved.items():
            i = int(rid)
            outcomes[i].reason = reason
            outcomes[i].detail = result.details.get(rid)
            found = blocking(
                session,
                reason,
                ends=(_xy(requests[i]["origin"]), _xy(requests[i]["destination"])),
                ground=True,
                zoom=ROAD_ZOOM,
                departure=departures[i],
                horizon_s=HORIZON_S,
                limits=limits,
            )
            if found is not None:  # else in-memory: the fleet's own routes hold it
                names = ", ".join(found.names) or "another route of this fleet"
                outcomes[i].detail = f"{outcomes[i].detail or reason} by {names}"
        for rid, route in result.routes.items():
            i = int(rid)
            problems = validate_route(route, MovingOnly(occ), limits)
            if problems:  # the database changed since the seed: plan this one again alone
                _plan_alone(
                    session,
                    caches,
                    actor,
                    requests[i],
                    outcomes[i],
                    source,
                    budget,
                    snap_distances,
                    "invalid_route",
                    "; ".join(problems[:3]),
                    reserve=False,
                )
                continue
            outcomes[i].planned = Planned(route, "ground", ROAD_ZOOM, source=source)
    for i, o in enumerate(outcomes):
        if o.planned is None or o.planned.created is not None or not requests[i].get("reserve"):
            continue
        if _out_of_time(budget, [i], outcomes, "booking"):
            o.planned = None
            continue
        try:
            created = reserve_route(
                session=session,
                actor=actor,
                route=o.planned.route,
                vehicle_id=o.vehicle_id,
                priority=int(requests[i].get("priority") or 0),
                reason=requests[i].get("reason"),
            )
        except VehicleBusy as exc:  # booked elsewhere then: planning again cannot help
            o.planned, o.reason, o.detail = None, "vehicle_busy", str(exc)
            continue
        except Contested as exc:
            why = f"lost its booking to a concurrent reservation ({exc})"
            _plan_alone(
                session,
                caches,
                actor,
                requests[i],
                o,
                source,
                budget,
                snap_distances,
                "contested",
                why,
                reserve=True,
            )
            continue
        o.planned = replace(o.planned, created=created)
    return outcomes


def _out_of_time(budget: Budget, idx: list[int], outcomes: list[Outcome], step: str) -> bool:
    """True (and the items of ``idx`` unserved with ``budget_exceeded``) once the deadline
    has passed."""
    if budget.left() > 0:
        return False
    for i in idx:
        outcomes[i].reason = "budget_exceeded"
        outcomes[i].detail = f"the planning budget of {budget.seconds:g} s ran out before {step}"
    return True


def _plan_alone(
    session: Session,
    caches: PlanningCaches,
    actor: Principal,
    request: Mapping[str, Any],
    o: Outcome,
    source: str,
    budget: Budget,
    snap_distances: Mapping[str, float] | None,
    reason: FleetReason,
    why: str,
    *,
    reserve: bool,
) -> None:
    """An item whose route meets a reservation made after the fleet was planned (found by
    the check before booking, or by the booking itself): plan it (and with ``reserve`` book
    it) again on its own against the database as it is now, which holds the fleet's routes
    booked so far; ``reason`` only if that fails too."""
    if budget.left() <= 0:
        o.planned, o.reason, o.detail = None, reason, why
        return
    try:
        o.planned = plan_route(
            session=session,
            caches=caches,
            actor=actor,
            vehicle_id=o.vehicle_id,
            origin=(*_xy(request["origin"]), 0.0),
            destination=(*_xy(request["destination"]), 0.0),
            departure_time=request["departure_time"],
            reserve=reserve,
            priority=int(request.get("priority") or 0),
            reason=request.get("reason"),
            safety_buffer_s=request.get("safety_buffer_s"),
            source=source,
            budget=budget,
            snap_distances=snap_distances,
        )
        o.reason = o.detail = None
    except VehicleBusy as exc:
        o.planned, o.reason, o.detail = None, "vehicle_busy", str(exc)
    except (Contested, NoRoute) as exc:
        o.planned, o.reason, o.detail = None, reason, f"{why}; planned again alone: {exc}"
