"""The airways a drone with ``airways_only`` is planned on, read from the database.

The corridors whose centre lines meet the box around the origin and destination, widened
by :data:`AIRWAY_REACH_DEG` on each side, become a :class:`routing.airways.AirwayNetwork`
planned by :class:`routing.airway_search.AirwayPlanner` against the same occupancy as
the drone planner. An end more than :data:`AIRWAY_SNAP_M` outside every corridor is
``no_airway_nearby``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.models import Vehicle
from registry.services.airways import airways_near
from routing.airway_search import AirwayPlanner
from routing.airways import AirwayNetwork, Corridor
from routing.errors import SearchBudgetExceeded
from routing.occupancy import Occupancy
from routing.route import Route
from routing.vehicle import VehicleLimits

AIRWAY_SNAP_M = 100.0
"""How far (metres) outside a corridor an origin or destination may be."""
AIRWAY_REACH_DEG = 0.1
"""Corridors this far (degrees, about 5-11 km) beyond the ends' box are in the network."""


def keeps_to_airways(vehicle: Vehicle, asked: bool | None) -> bool:
    """Whether a route keeps to the airways: the request's choice, else the vehicle's; a
    vehicle that requires them may not ask false, and only drones fly them."""
    if asked is False and vehicle.airways_only:
        raise InvalidInput(
            f"vehicle {vehicle.id} must keep to the airways: airways_only may not be false",
            field="airways_only",
        )
    wanted = vehicle.airways_only if asked is None else asked
    if wanted and vehicle.kind != "drone":
        raise InvalidInput("only drones fly the airways", field="airways_only")
    return wanted


def corridors_near(
    session: Session, origin: Sequence[float], destination: Sequence[float]
) -> list[Corridor]:
    """The stored corridors around the two ends, as the pure planner's input."""
    r = AIRWAY_REACH_DEG
    bounds = (
        min(origin[0], destination[0]) - r,
        min(origin[1], destination[1]) - r,
        max(origin[0], destination[0]) + r,
        max(origin[1], destination[1]) + r,
    )
    return [
        Corridor(
            id=str(a.id),
            coords=[(float(x), float(y)) for x, y, *_ in to_shape(a.geometry).coords],
            width_m=a.width_m,
            altitude_lower_m=a.altitude_lower_m,
            altitude_upper_m=a.altitude_upper_m,
            forward_only=a.direction == "forward",
        )
        for a in airways_near(session=session, bounds=bounds)
    ]


def plan_on_airways(
    *,
    session: Session,
    occupancy: Occupancy,
    limits: VehicleLimits,
    origin: Sequence[float],
    destination: Sequence[float],
    departure: float,
    zoom: int,
    max_expansions: int,
    time_budget_s: float | None = None,
    snap_m: float = AIRWAY_SNAP_M,
) -> Route:
    """An earliest-arrival route along the corridors within ``time_budget_s`` (None: no
    wall-clock bound); raises ``NoRoute`` (``SearchBudgetExceeded`` once it is spent)."""
    deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
    limits = dataclasses.replace(limits, snap_max_m=snap_m)
    network = AirwayNetwork(corridors_near(session, origin, destination), limits, zoom)
    planner = AirwayPlanner.from_occupancy(
        network, occupancy, departure, limits, max_expansions=max_expansions
    )
    if deadline is not None:
        if time.perf_counter() >= deadline:
            raise SearchBudgetExceeded("the planning budget ran out before the airway search")
        planner.deadline = deadline
    route = planner.plan((origin[0], origin[1]), (destination[0], destination[1]), departure)
    route.meta["airways"] = len(network.corridors)
    return route
