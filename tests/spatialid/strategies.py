"""Hypothesis strategies shared by the spatial ID tests."""

from __future__ import annotations

from hypothesis import strategies as st

from spatialid import Voxel


@st.composite
def voxels(draw: st.DrawFn, min_zoom: int = 0, max_zoom: int = 30) -> Voxel:
    """Any valid voxel with a zoom in ``[min_zoom, max_zoom]``."""
    z = draw(st.integers(min_zoom, max_zoom))
    n = 1 << z
    return Voxel(
        z, draw(st.integers(-n, n - 1)), draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    )


lngs = st.floats(-180.0, 180.0)
lats = st.floats(-90.0, 90.0)
alts = st.floats(-(2.0**25), 2.0**25, exclude_max=True)
zooms = st.integers(0, 30)
