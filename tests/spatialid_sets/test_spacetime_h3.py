"""4D voxel sets and H3 footprint covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import h3
import pytest
import shapely

from spatialid.errors import SpatialIdError
from spatialid.geometry import box_to_voxels
from spatialid.h3interop import footprint, voxelset_to_h3
from spatialid.spacetime import VoxelSet4D, window_to_t
from spatialid.voxel import Voxel
from spatialid.voxelset import VoxelSet


def test_window_half_open() -> None:
    s = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert window_to_t(s, s + timedelta(minutes=30), 1800) == range(
        int(s.timestamp()) // 1800, int(s.timestamp()) // 1800 + 1
    )
    jst = timezone(timedelta(hours=9))
    assert window_to_t(s.astimezone(jst), s + timedelta(seconds=1), 60) == window_to_t(
        s, s + timedelta(seconds=60), 60
    )
    with pytest.raises(SpatialIdError, match="end"):
        window_to_t(s, s, 60)
    with pytest.raises(SpatialIdError, match="start"):
        window_to_t(datetime(2024, 1, 1), s, 60)
    with pytest.raises(SpatialIdError, match="interval"):
        window_to_t(s, s + timedelta(seconds=1), 0)


def test_4d_algebra() -> None:
    a = VoxelSet.from_runs(10, 0, 5, 0, 4)
    b = VoxelSet.from_runs(10, 0, 5, 2, 6)
    s = datetime(2024, 1, 1, tzinfo=UTC)
    x = VoxelSet4D.from_window(a, s, s + timedelta(seconds=120), 60)
    y = VoxelSet4D.from_window(b, s + timedelta(seconds=60), s + timedelta(seconds=180), 60)
    t0 = x.times()[0]
    assert len(x) == 8 and x.times() == [t0, t0 + 1]
    assert len(x | y) == 4 + 6 + 4
    assert len(x & y) == 2 and (x & y).times() == [t0 + 1]
    assert len(x - y) == 4 + 2
    assert not x.isdisjoint(y)
    ids = list(x & y)
    assert ids == [f"10/0/{v}/5_60/{t0 + 1}" for v in (2, 3)]
    assert (Voxel(10, 0, 3, 5), t0 + 1) in (x & y)
    assert (Voxel(10, 0, 3, 5), t0) not in (x & y)
    assert x == VoxelSet4D(10, 60, {t0: a, t0 + 1: a})
    with pytest.raises(SpatialIdError):
        _ = x | VoxelSet4D(10, 30)


def test_h3_cover_overlaps_footprint() -> None:
    vs = box_to_voxels(139.76, 35.68, 0, 139.77, 35.69, 100, 17)
    fp = footprint(vs)
    for res in (6, 8, 9):
        cells = voxelset_to_h3(vs, res)
        assert cells
        union = shapely.union_all(
            [shapely.Polygon(h3.cells_to_geo([c])["coordinates"][0]) for c in cells]
        )
        assert union.covers(shapely.buffer(fp, -1e-7))
        for c in cells:  # every cell touches the footprint
            assert shapely.Polygon(h3.cells_to_geo([c])["coordinates"][0]).intersects(fp)
    assert voxelset_to_h3(VoxelSet.empty(5), 5) == set()
    with pytest.raises(SpatialIdError, match="res"):
        voxelset_to_h3(vs, 16)
