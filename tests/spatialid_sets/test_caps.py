"""The max_voxels cap raises TooManyVoxels with a lower bound, before expanding."""

from __future__ import annotations

import pytest

from spatialid import SpatialIdError, TooManyVoxels, box_to_voxels, geometry_to_voxels
from spatialid.tube import tube_to_voxels

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[139.76, 35.68], [139.77, 35.68], [139.77, 35.69], [139.76, 35.69], [139.76, 35.68]]
    ],
}


def test_polygon_over_the_cap_reports_count_and_cap() -> None:
    with pytest.raises(TooManyVoxels) as info:
        geometry_to_voxels(SQUARE, 24, alt_lower=0, alt_upper=150, max_voxels=1000)
    assert info.value.cap == 1000
    assert info.value.count > 1000
    assert isinstance(info.value, SpatialIdError)


def test_under_the_cap_is_unchanged() -> None:
    full = geometry_to_voxels(SQUARE, 16, alt_lower=0, alt_upper=150)
    capped = geometry_to_voxels(SQUARE, 16, alt_lower=0, alt_upper=150, max_voxels=len(full))
    assert capped == full


def test_box_and_tube_caps() -> None:
    with pytest.raises(TooManyVoxels):
        box_to_voxels(139.76, 35.68, 0, 139.77, 35.69, 150, 22, max_voxels=10)
    with pytest.raises(TooManyVoxels):
        tube_to_voxels([(139.76, 35.68, 50), (139.77, 35.69, 60)], 15, 23, max_voxels=10)


def test_a_bad_geometry_is_not_too_many() -> None:
    with pytest.raises(SpatialIdError) as info:
        geometry_to_voxels(
            {"type": "Polygon", "coordinates": []}, 20, alt_lower=0, alt_upper=1, max_voxels=1
        )
    assert not isinstance(info.value, TooManyVoxels)
