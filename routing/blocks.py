"""Coarse cells for multi-resolution search: aligned blocks of grid voxels.

A block is ``2^k x 2^k`` grid voxels horizontally (the tile at zoom ``z - k``: ``x >> k``,
``y >> k``) by ``2^kf`` vertically (``f >> kf``; the planner uses ``kf = 0``, one layer:
a block is then the spatial ID ``z - k`` tile's column cut at one layer of zoom ``z``,
because climbing is slow and a block's centre must not force a climb).

A block is *open* for a query when every one of its voxels lies inside the grid's interior
and the altitude band, none is statically blocked (after the clearance dilation), none is
busy at any time the query may use, and it holds neither the origin nor the destination.
Open blocks are searched as one node; the voxels of every other block are searched one by
one (see :mod:`routing.multires`).

The static part (:func:`static_open`) depends only on the grid and is cached on it; the
busy part is one set of block indices per query (:meth:`Blocks.close`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from routing.grid import VoxelGrid

IntArray = npt.NDArray[np.int64]


def static_open(
    grid: VoxelGrid, k: int, kf: int = 0
) -> tuple[bytearray, tuple[int, int, int, int, int, int]]:
    """Per block of the grid: 1 iff none of its voxels is blocked or outside the grid.

    Returns the flags and the block frame ``(bf0, by0, bx0, bnf, bny, bnx)`` (block
    coordinates of the first block and the counts); cached on ``grid`` per ``(k, kf)``.
    """
    cache = grid.__dict__.setdefault("_open_blocks", {})
    if (k, kf) in cache:
        return cache[k, kf]
    s, sf = 1 << k, 1 << kf
    bf0, by0, bx0 = grid.f0 >> kf, grid.y0 >> k, grid.x0 >> k
    bnf = ((grid.f0 + grid.nf - 1) >> kf) - bf0 + 1
    bny = ((grid.y0 + grid.ny - 1) >> k) - by0 + 1
    bnx = ((grid.x0 + grid.nx - 1) >> k) - bx0 + 1
    arr = grid.blocked_array().reshape(grid.nf, grid.ny, grid.nx)
    pad = np.ones((bnf * sf, bny * s, bnx * s), dtype=np.uint8)  # outside the grid: blocked
    of, oy, ox = grid.f0 - bf0 * sf, grid.y0 - by0 * s, grid.x0 - bx0 * s
    pad[of : of + grid.nf, oy : oy + grid.ny, ox : ox + grid.nx] = arr
    if s in (2, 4, 8):  # s bytes of a row as one integer: nonzero iff any voxel is blocked
        rows = pad.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[s]) != 0
    else:
        rows = pad.reshape(bnf * sf, bny * s, bnx, s).any(axis=3)
    closed = rows.reshape(bnf, sf, bny, s, bnx).any(axis=(1, 3))
    out = (bytearray((~closed).astype(np.uint8).tobytes()), (bf0, by0, bx0, bnf, bny, bnx))
    cache[k, kf] = out
    return out


@dataclass
class Blocks:
    """Open blocks of one query: the grid's static flags minus the blocks closed for it."""

    grid: VoxelGrid
    k: int
    kf: int = 0
    flags: bytearray = field(init=False)
    frame: tuple[int, int, int, int, int, int] = field(init=False)
    closed: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.flags, self.frame = static_open(self.grid, self.k, self.kf)

    @property
    def size(self) -> int:
        """VoxelGrid voxels along a horizontal side of a block."""
        return 1 << self.k

    @property
    def layers(self) -> int:
        """VoxelGrid layers in a block."""
        return 1 << self.kf

    def index(self, bf: int, bx: int, by: int) -> int:
        """The flat index of block ``(bf, bx, by)`` (block coordinates; no bounds check)."""
        f0, y0, x0, _, ny, nx = self.frame
        return ((bf - f0) * ny + (by - y0)) * nx + (bx - x0)

    def inside(self, bf: int, bx: int, by: int) -> bool:
        """True iff the block is in the frame."""
        f0, y0, x0, nf, ny, nx = self.frame
        return 0 <= bf - f0 < nf and 0 <= by - y0 < ny and 0 <= bx - x0 < nx

    def is_open(self, bf: int, bx: int, by: int) -> bool:
        """True iff block ``(bf, bx, by)`` is searched as one node."""
        if not self.inside(bf, bx, by):
            return False
        i = self.index(bf, bx, by)
        return bool(self.flags[i]) and i not in self.closed

    def close(self, f: IntArray, x: IntArray, y: IntArray) -> None:
        """Close the blocks holding voxels ``(f, x, y)`` (grid coordinates)."""
        if len(f) == 0:
            return
        k = self.k
        bf, by, bx = f >> self.kf, y >> k, x >> k
        f0, y0, x0, nf, ny, nx = self.frame
        ok = (bf >= f0) & (bf < f0 + nf) & (by >= y0) & (by < y0 + ny) & (bx >= x0) & (bx < x0 + nx)
        idx = ((bf[ok] - f0) * ny + (by[ok] - y0)) * nx + (bx[ok] - x0)
        idx.sort()
        first = np.ones(len(idx), dtype=bool)
        first[1:] = idx[1:] != idx[:-1]
        self.closed.update(idx[first].tolist())
