"""Geoid heights: where mean sea level lies above the WGS84 ellipsoid, from a PROJ grid.

Spatial IDs measure altitude above the WGS84 ellipsoid (datum ``W84``); heights above sea
level (標高, datum ``MSL``) differ by the geoid undulation ``N``: ``h(W84) = H(MSL) + N``.
:class:`Geoid` reads ``N`` from a vertical grid PROJ understands (GTX or GeoTIFF), by
default EGM96 on a 15' grid (``egm96_15.gtx``, Debian's ``proj-data``). A better grid
(EGM2008, or Japan's GSIGEO2011 converted by PROJ as ``jp_gsi_gsigeo2011.tif``) is one
path away.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray
from shapely import Geometry, segmentize
from shapely import contains_xy as _contains_xy
from shapely import get_coordinates as _coordinates

DEFAULT_GRIDS = ("egm96_15.gtx", "us_nga_egm96_15.tif")
"""Grid file names looked for when none is configured, best first."""

SAMPLE_STEP_DEG = 1 / 60
"""Spacing of the samples over an area (one arc-minute, finer than any global geoid grid's
cells, so the extremes of the grid's bilinear surface are met to within millimetres)."""

MAX_SAMPLES = 250_000
"""Samples over one area at most; a larger area is sampled more coarsely."""


class GeoidUnavailable(Exception):
    """No geoid grid is installed, or the configured one cannot be read."""


def proj_data_dirs() -> list[Path]:
    """Folders that may hold PROJ grids: ``PROJ_DATA``/``PROJ_LIB``, pyproj's own, Debian's."""
    dirs = [os.environ.get("PROJ_DATA"), os.environ.get("PROJ_LIB")]
    with contextlib.suppress(pyproj.exceptions.DataDirError):
        dirs.append(pyproj.datadir.get_data_dir())
    dirs += ["/usr/share/proj", "/usr/local/share/proj"]
    out: list[Path] = []
    for d in dirs:
        for part in (d or "").split(os.pathsep):
            if part and Path(part).is_dir() and Path(part) not in out:
                out.append(Path(part))
    return out


def find_grid(names: Iterable[str] = DEFAULT_GRIDS) -> Path | None:
    """The first of ``names`` found in :func:`proj_data_dirs`, else None."""
    for name in names:
        for d in proj_data_dirs():
            if (d / name).is_file():
                return d / name
    return None


class Geoid:
    """Geoid undulation ``N`` (metres, ``W84 = MSL + N``) from one PROJ vertical grid."""

    def __init__(self, grid: str | Path) -> None:
        path = Path(grid)
        if not path.is_file():
            raise GeoidUnavailable(f"geoid grid {str(path)!r} does not exist")
        self.path = path
        self._local = threading.local()  # a PROJ transformer is not shared across threads
        n = float(self.undulation(139.767, 35.681))  # a probe: the grid must be readable
        if not np.isfinite(n):
            raise GeoidUnavailable(f"geoid grid {str(path)!r} gives no value in Tokyo")

    @property
    def name(self) -> str:
        """The grid's file name (e.g. ``egm96_15.gtx``)."""
        return self.path.name

    def _transformer(self) -> pyproj.Transformer:
        t: pyproj.Transformer | None = getattr(self._local, "t", None)
        if t is None:
            try:
                t = pyproj.Transformer.from_pipeline(
                    f"+proj=vgridshift +grids={self.path} +multiplier=1"
                )
            except pyproj.exceptions.ProjError as exc:
                raise GeoidUnavailable(f"geoid grid {str(self.path)!r}: {exc}") from exc
            self._local.t = t
        return t

    def undulation(self, lng: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """``N`` at each ``(lng, lat)`` (degrees); NaN where the grid has no value."""
        x = np.asarray(lng, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        x, y = np.broadcast_arrays(x, y)
        _, _, z = self._transformer().transform(
            np.radians(x), np.radians(y), np.zeros(x.shape), radians=True, errcheck=False
        )
        out = np.asarray(z, dtype=np.float64)
        out[~np.isfinite(out)] = np.nan
        return out

    def undulation_range(self, geometry: Geometry) -> tuple[float, float]:
        """Least and greatest ``N`` over ``geometry`` (lng/lat degrees): sampled at its
        vertices, along its edges and over its inside every :data:`SAMPLE_STEP_DEG`."""
        xy = area_samples(geometry)
        n = self.undulation(xy[:, 0], xy[:, 1])
        if np.isnan(n).any():
            raise GeoidUnavailable(f"geoid grid {self.name!r} does not cover the whole area")
        return float(n.min()), float(n.max())


def area_samples(geometry: Geometry) -> NDArray[np.float64]:
    """Points (``n x 2``, lng/lat) on and inside ``geometry`` for extremes of a smooth field:
    its vertices, its edges every step, and a grid of the same step inside it."""
    x0, y0, x1, y1 = geometry.bounds
    step = SAMPLE_STEP_DEG
    cells = (x1 - x0) / step * (y1 - y0) / step
    if cells > MAX_SAMPLES:
        step *= float(np.sqrt(cells / MAX_SAMPLES))
    edge = _coordinates(segmentize(geometry.boundary if geometry.area > 0 else geometry, step))
    if geometry.area <= 0:
        return np.asarray(edge, dtype=np.float64)
    gx = np.arange(np.floor(x0 / step), np.ceil(x1 / step) + 1) * step
    gy = np.arange(np.floor(y0 / step), np.ceil(y1 / step) + 1) * step
    mx, my = (a.ravel() for a in np.meshgrid(gx, gy))
    inside = _contains_xy(geometry, mx, my)
    grid = np.column_stack([mx[inside], my[inside]])
    return np.vstack([np.asarray(edge, dtype=np.float64), grid])
