"""The planning grid: a padded 3D box of voxels at one zoom, keyed by one int per voxel.

A voxel ``(f, x, y)`` inside the box has key ``((f - f0) * ny + (y - y0)) * nx + (x - x0)``,
so a neighbour is ``key + offset``. The box carries a one-voxel blocked border (and the
layers just outside the altitude band are blocked), so no move ever leaves it and the
search needs no bounds checks. ``blocked`` is a ``bytearray`` (1 = statically blocked,
after dilation by the clearance margin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.occupancy import Occupancy, TileBox
from spatialid import voxel_height
from spatialid.projection import tile_y_to_lat

EARTH_CIRCUMFERENCE_M = 2.0 * math.pi * 6378137.0
IntArray = npt.NDArray[np.int64]


def tile_metres(z: int, y: float) -> float:
    """Horizontal size in metres of a tile at zoom ``z`` and fractional row ``y``."""
    lat = float(tile_y_to_lat(y, z))
    return EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat)) / (1 << z)


@dataclass
class VoxelGrid:
    """A padded voxel box at zoom ``z`` with static blocks; see the module docstring."""

    z: int
    x0: int
    y0: int
    f0: int
    nx: int
    ny: int
    nf: int
    blocked: bytearray
    tile_m: float
    height_m: float

    def key(self, f: int, x: int, y: int) -> int:
        """The int key of voxel ``(f, x, y)`` (no bounds check)."""
        return ((f - self.f0) * self.ny + (y - self.y0)) * self.nx + (x - self.x0)

    def keys(self, f: IntArray, x: IntArray, y: IntArray) -> IntArray:
        """Vectorised :meth:`key`."""
        return ((f - self.f0) * self.ny + (y - self.y0)) * self.nx + (x - self.x0)

    def coords(self, key: int) -> tuple[int, int, int]:
        """``(f, x, y)`` of a key."""
        fy, x = divmod(key, self.nx)
        f, y = divmod(fy, self.ny)
        return f + self.f0, x + self.x0, y + self.y0

    def coords_array(self, keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Vectorised :meth:`coords`."""
        fy, x = np.divmod(keys, self.nx)
        f, y = np.divmod(fy, self.ny)
        return f + self.f0, x + self.x0, y + self.y0

    def inside(self, f: int, x: int, y: int) -> bool:
        """True iff ``(f, x, y)`` is an interior (non-border) cell of the box."""
        return (
            self.x0 < x < self.x0 + self.nx - 1
            and self.y0 < y < self.y0 + self.ny - 1
            and self.f0 < f < self.f0 + self.nf - 1
        )

    def is_blocked(self, f: int, x: int, y: int) -> bool:
        """Static block (or outside the box / band) of one voxel."""
        return not self.inside(f, x, y) or bool(self.blocked[self.key(f, x, y)])

    def blocked_array(self) -> npt.NDArray[np.uint8]:
        """A zero-copy numpy view of ``blocked``."""
        return np.frombuffer(self.blocked, dtype=np.uint8)

    def offsets(self) -> list[tuple[int, int, int, int]]:
        """The 26 moves as ``(offset, df, dx, dy)``."""
        out = []
        for df in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    if df or dy or dx:
                        out.append(((df * self.ny + dy) * self.nx + dx, df, dx, dy))
        return out


def _dilate(arr: np.ndarray, axis: int, r: int) -> np.ndarray:
    """Boolean dilation by ``r`` cells along ``axis`` (shifted ORs; r is small)."""
    out = arr.copy()
    n = arr.shape[axis]
    for s in range(1, min(r, n - 1) + 1):
        a = [slice(None)] * arr.ndim
        b = [slice(None)] * arr.ndim
        a[axis], b[axis] = slice(s, None), slice(None, -s)
        out[tuple(a)] |= arr[tuple(b)]
        out[tuple(b)] |= arr[tuple(a)]
    return out


def build_grid(
    occupancy: Occupancy, z: int, box: TileBox, f_lo: int, f_hi: int, clearance_m: float = 0.0
) -> VoxelGrid:
    """A grid over ``box`` and layers ``f_lo..f_hi`` with static blocks dilated by clearance."""
    tile_m = tile_metres(z, (box.y0 + box.y1) / 2.0)
    height_m = voxel_height(z)
    rh = math.ceil(clearance_m / tile_m - 1e-9) if clearance_m > 0 else 0
    rv = math.ceil(clearance_m / height_m - 1e-9) if clearance_m > 0 else 0
    x0, y0, f0 = box.x0 - 1, box.y0 - 1, f_lo - 1
    nx, ny, nf = box.x1 - box.x0 + 2, box.y1 - box.y0 + 2, f_hi - f_lo + 3
    # extended frame: the grid plus the dilation radius on every side
    ex0, ey0, ef0 = x0 - rh, y0 - rh, f0 - rv
    ex, ey, ef = nx + 2 * rh, ny + 2 * rh, nf + 2 * rv
    vs = occupancy.blocked_static(z, TileBox(ex0, ey0, ex0 + ex, ey0 + ey))
    f, y, a, b = vs.runs()
    keep = (f >= ef0) & (f < ef0 + ef)
    f, y, a, b = f[keep] - ef0, y[keep] - ey0, a[keep] - ex0, b[keep] - ex0
    if f.size == 0:  # nothing blocked: no run to paint, no dilation
        arr = np.zeros((nf, ny, nx), dtype=bool)
    else:
        diff = np.zeros((ef, ey, ex + 1), dtype=np.int8)
        diff[f, y, a] = 1  # runs of a row are disjoint and non-touching: no index repeats
        diff[f, y, b] = -1
        arr = np.cumsum(diff, axis=2, dtype=np.int8)[:, :, :ex] > 0
        if rh:
            arr = _dilate(_dilate(arr, 1, rh), 2, rh)
        if rv:
            arr = _dilate(arr, 0, rv)
        arr = np.ascontiguousarray(arr[rv : rv + nf, rh : rh + ny, rh : rh + nx])
    arr[0], arr[-1] = True, True
    arr[:, 0], arr[:, -1] = True, True
    arr[:, :, 0], arr[:, :, -1] = True, True
    return VoxelGrid(z, x0, y0, f0, nx, ny, nf, bytearray(arr.tobytes()), tile_m, height_m)
