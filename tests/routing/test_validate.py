"""The independent validator finds what is wrong with a route."""

from __future__ import annotations

from dataclasses import replace

from routing.drone import DronePlanner
from routing.route import Route, Visit
from routing.validate import validate_route
from spatialid import Voxel
from tests.routing.helpers import LIMITS, T0, X0, Y0, Z, centre, world


def planned() -> Route:
    """A short valid route in free space."""
    return DronePlanner(world(), LIMITS, zoom=Z, min_pad_tiles=4).plan(
        centre(2, 0, 0), centre(2, 6, 0), T0
    )


def test_a_planned_route_is_valid() -> None:
    assert validate_route(planned(), world(), LIMITS) == []


def test_static_and_busy_violations_are_found() -> None:
    r = planned()
    occ = world([(2, 3, 0)])
    assert any("statically blocked" in p for p in validate_route(r, occ, LIMITS))
    occ = world()
    v = r.visits[4]
    occ.add_reservation([(v.voxel, v.leave - 0.1, v.leave + 5.0)])
    assert any("is busy" in p for p in validate_route(r, occ, LIMITS))


def test_gaps_jumps_and_speeding_are_found() -> None:
    r = planned()
    gap = Route([r.visits[0], *r.visits[2:]], r.waypoints)
    assert any("26-neighbours" in p for p in validate_route(gap, world(), LIMITS))
    late = list(r.visits)
    late[3] = replace(late[3], enter=late[2].leave + 10.0, leave=late[2].leave + 11.0)
    assert any("times jump" in p for p in validate_route(Route(late, r.waypoints), world()))
    fast = Route(r.visits, [r.waypoints[0], (*r.waypoints[-1][:3], r.waypoints[0][3] + 0.1)])
    assert any("max speed" in p for p in validate_route(fast, world(), LIMITS))
    high = Route([Visit(Voxel(Z, 30, X0, Y0), T0, T0 + 1)], [(*centre(30, 0, 0), T0)])
    assert any("altitude band" in p for p in validate_route(high, world(), LIMITS))
