"""Fixtures of the platform tests."""

from __future__ import annotations

import pytest

from spatialid.geoid import Geoid, find_grid


@pytest.fixture(scope="module")
def geoid() -> Geoid:
    """The geoid of the installed grid (Debian's proj-data)."""
    grid = find_grid()
    assert grid is not None, "no geoid grid: install Debian's proj-data (egm96_15.gtx)"
    return Geoid(grid)
