"""The airway network and its planner, without a database (near Helsinki, z23)."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Transformer

from routing.airway_search import AirwayPlanner
from routing.airways import AirwayNetwork, Corridor, air_key, air_voxel, levels
from routing.errors import NoAirwayNearby
from routing.occupancy import MemoryOccupancy
from routing.route import Route
from routing.validate import validate_route
from routing.vehicle import VehicleLimits
from spatialid import VoxelSet
from spatialid.projection import tile_x_to_lng, tile_y_to_lat

T0 = 1_800_000_000.0
LNG, LAT = 24.93, 60.17
DLNG, DLAT = 0.0009, 0.00045  # about 50 m each way
LIMITS = VehicleLimits(
    max_speed_mps=10.0, climb_rate_mps=2.0, descent_rate_mps=2.0, safety_buffer_s=1.0
)
TO_M = Transformer.from_crs(4326, 3067, always_xy=True)


def at(i: float, j: float) -> tuple[float, float]:
    """A point ``i`` x 50 m east and ``j`` x 50 m north of the base."""
    return (LNG + i * DLNG, LAT + j * DLAT)


def east(lower: float = 40.0, upper: float = 60.0, **kw: object) -> Corridor:
    return Corridor("east", [at(0, 0), at(10, 0)], 30.0, lower, upper, **kw)  # type: ignore[arg-type]


def north(lower: float = 48.0, upper: float = 80.0) -> Corridor:
    return Corridor("north", [at(5, -4), at(5, 8)], 30.0, lower, upper)


def inside(route: Route, corridors: list[Corridor]) -> list[str]:
    """Voxels of ``route`` not inside one corridor's buffer and band (metres, ETRS-TM35FIN)."""
    shapes = [
        (shapely.LineString([TO_M.transform(*p) for p in c.coords]).buffer(c.width_m / 2), c)
        for c in corridors
    ]
    bad = []
    for v in route.visits:
        vox = v.voxel
        corners = [
            TO_M.transform(
                float(tile_x_to_lng(vox.x + a, vox.z)), float(tile_y_to_lat(vox.y + b, vox.z))
            )
            for a, b in ((0, 0), (1, 0), (1, 1), (0, 1))
        ]
        poly = shapely.Polygon(corners)
        h = 4.0
        if not any(
            s.contains(poly)
            and c.altitude_lower_m <= vox.f * h
            and (vox.f + 1) * h <= c.altitude_upper_m
            for s, c in shapes
        ):
            bad.append(str(vox))
    return bad


def test_keys_round_trip() -> None:
    assert air_voxel(air_key(12, 4_000_000, 2_000_123)) == (12, 4_000_000, 2_000_123)


def test_levels_fit_both_bands() -> None:
    assert levels(east(40, 60), LIMITS, 23) == (10, 14)
    assert levels(east(41, 44), LIMITS, 23) is None  # no whole 4 m voxel
    assert levels(east(140, 200), LIMITS, 23) == (35, 36)  # the vehicle's 150 m cap


def test_one_corridor_route_stays_inside() -> None:
    net = AirwayNetwork([east()], LIMITS)
    occ = MemoryOccupancy()
    r = AirwayPlanner.from_occupancy(net, occ, T0, LIMITS).plan(at(1, 0.1), at(9, -0.1), T0)
    assert validate_route(r, occ, LIMITS) == []
    assert inside(r, [east()]) == []
    assert {v.voxel.f for v in r.visits} == {12}
    assert r.length_m == pytest.approx(400.0, rel=0.02)


def test_two_crossing_corridors_join_with_a_climb() -> None:
    cs = [east(), north()]
    net = AirwayNetwork(cs, LIMITS)
    occ = MemoryOccupancy()
    r = AirwayPlanner.from_occupancy(net, occ, T0, LIMITS).plan(at(1, 0), at(5, 7), T0)
    assert validate_route(r, occ, LIMITS) == []
    assert inside(r, cs) == []
    assert {v.voxel.f for v in r.visits} == {12, 13, 14, 15}  # east at 12, north at 15


def test_disjoint_bands_do_not_join() -> None:
    net = AirwayNetwork([east(40, 60), north(100, 140)], LIMITS)
    assert all(net.owner[e.idx] == 0 for e in net.out.get(next(iter(net.pos)), []))
    assert not any(e.pts[0][2] != e.pts[-1][2] for e in net.edges)  # no climb between them


def test_a_line_end_inside_another_corridor_is_joined() -> None:
    stub = Corridor("stub", [at(3, 0.2), at(3, 6)], 30.0, 40.0, 60.0)
    cs = [east(), stub]
    net = AirwayNetwork(cs, LIMITS)
    occ = MemoryOccupancy()
    r = AirwayPlanner.from_occupancy(net, occ, T0, LIMITS).plan(at(8, 0), at(3, 5), T0)
    assert validate_route(r, occ, LIMITS) == []
    assert inside(r, cs) == []


def test_forward_only_corridor_is_not_flown_backwards() -> None:
    net = AirwayNetwork([east(forward_only=True)], LIMITS)
    p = AirwayPlanner.from_occupancy(net, MemoryOccupancy(), T0, LIMITS)
    assert p.plan(at(1, 0), at(9, 0), T0).duration_s == pytest.approx(40.0, rel=0.02)
    with pytest.raises(Exception, match="no_path"):
        p.plan(at(9, 0), at(1, 0), T0)


def test_far_origin_is_refused_with_the_distance() -> None:
    net = AirwayNetwork([east()], LIMITS)
    p = AirwayPlanner.from_occupancy(net, MemoryOccupancy(), T0, VehicleLimits(snap_max_m=100.0))
    with pytest.raises(NoAirwayNearby) as err:
        p.plan(at(1, 10), at(9, 0), T0)  # 500 m north of the line, 485 m outside
    assert err.value.reason == "no_airway_nearby"
    assert err.value.field == "origin"
    assert err.value.distance_m == pytest.approx(485.0, abs=3.0)


def test_a_reserved_route_makes_the_second_wait() -> None:
    slow = VehicleLimits(max_speed_mps=5.0, safety_buffer_s=1.0)
    occ = MemoryOccupancy()
    first = AirwayPlanner.from_occupancy(AirwayNetwork([east()], slow), occ, T0, slow).plan(
        at(1, 0), at(9, 0), T0
    )
    occ.add_reservation(first.windows())
    net = AirwayNetwork([east()], LIMITS)
    second = AirwayPlanner.from_occupancy(net, occ, T0 + 3, LIMITS).plan(at(1, 0), at(9, 0), T0 + 3)
    assert validate_route(second, occ, LIMITS) == []
    assert second.duration_s > 40.0 * 1.5  # it waited behind the slow one
    assert second.arrival > first.arrival


def test_a_blocked_voxel_on_the_line_blocks() -> None:
    net = AirwayNetwork([east()], LIMITS)
    occ = MemoryOccupancy()
    k = next(k for k in net.by_voxel if air_voxel(k)[0] == 12)
    f, x, y = air_voxel(k)
    mid = net.edges[0].keys[len(net.edges[0].keys) // 2]
    f, x, y = air_voxel(mid)
    occ.add_static(VoxelSet.from_arrays(23, [f], [x], [y]))
    with pytest.raises(Exception, match="no_path"):
        AirwayPlanner.from_occupancy(net, occ, T0, LIMITS).plan(at(1, 0), at(9, 0), T0)
