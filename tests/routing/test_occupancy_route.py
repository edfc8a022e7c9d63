"""MemoryOccupancy across zooms, and the route's API shapes."""

from __future__ import annotations

from datetime import datetime

from routing.drone import DronePlanner
from routing.occupancy import MemoryOccupancy, TileBox, merge_intervals
from spatialid import Voxel, VoxelSet, children, parent
from tests.routing.helpers import LIMITS, T0, X0, Y0, Z, centre, world


def test_reservations_map_to_any_zoom_conservatively() -> None:
    occ = MemoryOccupancy()
    leaf = Voxel(25, 20, 4 * X0 + 1, 4 * Y0 + 2)
    occ.add_reservation([(leaf, 10.0, 20.0), (Voxel(21, 0, X0 >> 2, Y0 >> 2), 30.0, 40.0)])
    at23 = parent(leaf, 23)
    assert occ.busy_intervals(at23) == [(10.0, 20.0)]
    assert occ.busy_intervals(parent(leaf, 20)) == [(10.0, 20.0), (30.0, 40.0)]
    assert occ.busy_intervals(Voxel(23, 0, X0, Y0)) == [(30.0, 40.0)]
    assert occ.busy_intervals(parent(leaf, 24)) == [(10.0, 20.0)]
    assert occ.busy_intervals(children(at23)[0]) == []
    rows = occ.busy_in(23, TileBox(X0, Y0, X0 + 1, Y0 + 1), 35.0, 36.0)
    assert set(rows.f.tolist()) == {0, 1, 2, 3}


def test_static_sets_map_to_the_planning_zoom() -> None:
    occ = MemoryOccupancy()
    occ.add_static(VoxelSet.from_voxels([Voxel(25, 41, 4 * X0, 4 * Y0)]))
    occ.add_static(VoxelSet.from_voxels([Voxel(22, 1, (X0 >> 1) + 5, Y0 >> 1)]))
    s = occ.blocked_static(23)
    assert Voxel(23, 10, X0, Y0) in s
    assert len(s) == 1 + 8
    assert len(occ.blocked_static(23, TileBox(X0, Y0, X0 + 1, Y0 + 1))) == 1


def test_merge_intervals() -> None:
    assert merge_intervals([(5, 6), (1, 3), (2, 4), (4, 4.5), (7, 7)]) == [(1, 4.5), (5, 6)]


def test_route_serialises_for_the_api() -> None:
    occ = world()
    r = DronePlanner(occ, LIMITS, zoom=Z, min_pad_tiles=4).plan(
        centre(2, 0, 0), centre(3, 9, 4), T0
    )
    d = r.to_dict()
    assert set(d) >= {"spatial_ids", "geometry", "length_m", "departure_time", "arrival_time"}
    first = d["spatial_ids"][0]
    assert first["id"] == f"{Z}/2/{X0}/{Y0}"
    assert datetime.fromisoformat(first["time_start"]).tzinfo is not None
    geom = d["geometry"]["geometry"]
    assert geom["type"] == "LineString" and all(len(c) == 3 for c in geom["coordinates"])
    assert len(d["geometry"]["properties"]["times"]) == len(geom["coordinates"])
    assert d["length_m"] > 9 * 3.0
    vols = r.to_reservation_volumes(max_window_s=1.0)
    covered = {i for v in vols for i in v["spatial_ids"]}
    assert covered == {str(v.voxel) for v in r.visits}
    for v in vols:
        assert v["time_start"] < v["time_end"]
