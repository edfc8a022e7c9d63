"""Conflict-free 4D route planning over an occupancy view (imports spatialid only).

Times are float unix seconds (UTC) throughout; routes serialise them as RFC 3339.
"""

from routing.drone import DEFAULT_WEIGHT, DronePlanner
from routing.errors import NoEdgeNearby, NoRoute, RoutingError, SearchBudgetExceeded, TooFar
from routing.fleet import FleetResult, GroundRequest, plan_fleet
from routing.ground import GroundNetwork, HeuristicTables
from routing.ground_search import GroundPlanner
from routing.intervals import IntervalTable
from routing.occupancy import BusyArrays, MemoryOccupancy, Occupancy, TileBox
from routing.route import Route, Visit
from routing.validate import check_route, validate_route
from routing.vehicle import VehicleLimits

__all__ = [
    "DEFAULT_WEIGHT",
    "BusyArrays",
    "DronePlanner",
    "FleetResult",
    "GroundNetwork",
    "GroundPlanner",
    "GroundRequest",
    "HeuristicTables",
    "IntervalTable",
    "MemoryOccupancy",
    "NoEdgeNearby",
    "NoRoute",
    "Occupancy",
    "Route",
    "RoutingError",
    "SearchBudgetExceeded",
    "TileBox",
    "TooFar",
    "VehicleLimits",
    "Visit",
    "check_route",
    "plan_fleet",
    "validate_route",
]
