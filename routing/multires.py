"""The multi-resolution search graph: open blocks as single nodes, fine voxels elsewhere.

Nodes are grid keys (``>= 0``) for the voxels of blocks that are not open, and ``-(i + 1)``
for the open block of flat index ``i`` (:class:`~routing.blocks.Blocks`). A move is a
straight flight between node centres; its duration is :meth:`MultiResGraph.octile`, the
fine grid's move time extended to any vector (never faster than the vehicle can fly the
segment, so every move can be flown as planned):

- voxel -> voxel: the 26 neighbours, as in the fine search (a diagonal move only when
  the cells it passes at an edge or corner are not blocked), when the neighbour's block
  is not open;
- voxel -> open block and back: across one face of the voxel, when the segment between
  the centres crosses that face inside the voxel's own face (:meth:`_direct`), so it
  passes through no third voxel;
- block -> block: the 26 neighbouring blocks, all open; a diagonal move also needs every
  block of the ``2 x 2`` (or ``2 x 2 x 2``) group it crosses open, so it never passes the
  edge or corner of a block that is not.

The heuristic is ``weight x octile(node centre -> goal centre)``: consistent (octile is
sublinear and equals every move's duration along it). So the search is optimal, or
``weight``-bounded, on this graph. Against the fine grid's optimum there is no proven
bound (a route through blocks runs between block centres); the benchmark measures it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from routing.blocks import Blocks
from routing.grid import VoxelGrid
from routing.motion import Corridor, moves, octile, outside, rates, side_offsets
from routing.vehicle import VehicleLimits

Centre = tuple[float, float, float]
"""``(x, y, f)`` in tile units."""

DIRS = [
    (df, dx, dy) for df in (-1, 0, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if df or dx or dy
]


class MultiResGraph:
    """Adjacency, centres and the heuristic of the multi-resolution graph of one query."""

    def __init__(self, grid: VoxelGrid, blocks: Blocks, limits: VehicleLimits) -> None:
        self.grid = grid
        self.blocks = blocks
        self.limits = limits
        table = dict(moves(grid, limits))
        self._rates = rates(grid, limits)
        sides = side_offsets(grid)
        offs = [off for off, *_ in grid.offsets()]
        self._fine_offsets = offs
        # per move: offset, direction, seconds, and the bit mask of the neighbours (by
        # position in ``offs``) it must find unblocked: itself and its edge/corner cells
        self.fine = [
            (
                off,
                df,
                dx,
                dy,
                table[off],
                sum(1 << offs.index(o) for o in (off, *sides.get(off, ()))),
            )
            for off, df, dx, dy in grid.offsets()
        ]
        s, sf = blocks.size, blocks.layers
        self.block_moves = [
            (df, dx, dy, self.octile(dx * s, dy * s, df * sf), _crossed(df, dx, dy))
            for df, dx, dy in DIRS
        ]
        _, _, _, _, bny, bnx = blocks.frame
        self._dir_offsets = [(df * bny + dy) * bnx + dx for df, dx, dy in DIRS]
        self._block_steps = [  # offset, seconds, bits of the blocks that must be open
            (o, dt, (1 << d) | sum(1 << DIRS.index(c) for c in crossed))
            for d, (o, (_, _, _, dt, crossed)) in enumerate(
                zip(self._dir_offsets, self.block_moves, strict=True)
            )
        ]
        self._adj: dict[int, list[tuple[int, float]]] = {}

    def centre(self, node: int) -> Centre:
        """The centre of a node in tile units ``(x, y, f)``."""
        if node >= 0:
            f, x, y = self.grid.coords(node)
            return x + 0.5, y + 0.5, f + 0.5
        bf, bx, by = self.block_coords(node)
        s, sf = self.blocks.size, self.blocks.layers
        return (bx + 0.5) * s, (by + 0.5) * s, (bf + 0.5) * sf

    def block_coords(self, node: int) -> tuple[int, int, int]:
        """``(bf, bx, by)`` of a block node."""
        f0, y0, x0, _, ny, nx = self.blocks.frame
        fy, x = divmod(-node - 1, nx)
        f, y = divmod(fy, ny)
        return f + f0, x + x0, y + y0

    def time(self, a: Centre, b: Centre) -> float:
        """Seconds of the move ``a -> b``: the octile time :meth:`octile`."""
        return self.octile(b[0] - a[0], b[1] - a[1], b[2] - a[2])

    def octile(self, dx: float, dy: float, df: float) -> float:
        """:func:`routing.motion.octile` on this grid: the fine grid's move time extended
        to any vector (never faster than the vehicle can fly it straight)."""
        return octile(self._rates, dx, dy, df)

    def adjacency(self, node: int) -> list[tuple[int, float]]:
        """``(neighbour, seconds)`` of every move out of ``node`` (cached)."""
        out = self._adj.get(node)
        if out is None:
            out = self._voxel_moves(node) if node >= 0 else self._block_moves(node)
            self._adj[node] = out
        return out

    def _voxel_moves(self, key: int) -> list[tuple[int, float]]:
        g, blocks, k, kf = self.grid, self.blocks, self.blocks.k, self.blocks.kf
        blocked = g.blocked
        f, x, y = g.coords(key)
        s1, sf1 = blocks.size - 1, blocks.layers - 1
        edge = (f & sf1) in (0, sf1) or (x & s1) in (0, s1) or (y & s1) in (0, s1)
        out: list[tuple[int, float]] = []
        seen: set[int] = set()
        here = (x + 0.5, y + 0.5, f + 0.5)
        walls = 0  # bit i: the neighbour at self._fine_offsets[i] is blocked
        for i, o in enumerate(self._fine_offsets):
            if blocked[key + o]:
                walls |= 1 << i
        for off, df, dx, dy, dt, need in self.fine:
            if walls & need:
                continue
            nk = key + off
            if edge:
                nf, nx_, ny_ = f + df, x + dx, y + dy
                bf, bx, by = nf >> kf, nx_ >> k, ny_ >> k
                if blocks.is_open(bf, bx, by):
                    if abs(df) + abs(dx) + abs(dy) == 1:
                        node = -blocks.index(bf, bx, by) - 1
                        there = self.centre(node)
                        if node not in seen and self._direct(there, here, df, dx):
                            seen.add(node)
                            out.append((node, self.time(here, there)))
                    continue
            out.append((nk, dt))
        return out

    def _block_moves(self, node: int) -> list[tuple[int, float]]:
        """Moves out of an open block. An open block never touches the frame's edge (the
        grid's blocked border is in the edge blocks), so neighbours need no bounds check."""
        g, blocks = self.grid, self.blocks
        i = -node - 1
        flags, closed = blocks.flags, blocks.closed
        near = 0  # bit d: the neighbouring block in direction DIRS[d] is open
        for d, o in enumerate(self._dir_offsets):
            if flags[i + o] and i + o not in closed:
                near |= 1 << d
        out: list[tuple[int, float]] = []
        face_dirs: list[int] = []
        for d, (o, dt, need) in enumerate(self._block_steps):
            if near >> d & 1:
                if near & need == need:
                    out.append((-(i + o) - 1, dt))
            elif need == 1 << d:  # a face move: its voxels across the face
                face_dirs.append(d)
        if face_dirs:
            bf, bx, by = self.block_coords(node)
            here = self.centre(node)
            s, sf = blocks.size, blocks.layers
            for d in face_dirs:
                df, dx, dy = DIRS[d]
                for f, x, y in _face(bf, bx, by, df, dx, dy, s, sf):
                    there = (x + 0.5, y + 0.5, f + 0.5)
                    if (
                        g.inside(f, x, y)
                        and not g.blocked[key := g.key(f, x, y)]
                        and self._direct(here, there, df, dx)
                    ):
                        out.append((key, self.time(here, there)))
        return out

    def _direct(self, block: Centre, vox: Centre, df: int, dx: int) -> bool:
        """True iff the segment from a block's centre to the centre of a voxel touching
        one of its faces (normal along f when ``df``, else x when ``dx``, else y) crosses
        the face inside the voxel's own face: it passes through no third voxel."""
        half = (self.blocks.layers if df else self.blocks.size) / 2.0
        t = half / (half + 0.5)
        axis = 2 if df else 0 if dx else 1
        return all(
            math.floor(block[i] + t * (vox[i] - block[i])) == math.floor(vox[i])
            for i in range(3)
            if i != axis
        )

    def heuristic(
        self, goal: int, weight: float, corridor: Corridor | None
    ) -> Callable[[int], float]:
        """``weight`` x the octile time to ``goal``; ``inf`` outside ``corridor``."""
        gx, gy, gf = self.centre(goal)
        r = rates(self.grid, self.limits, weight)
        out = outside(corridor) if corridor is not None else None
        centre = self.centre

        def h(node: int) -> float:
            x, y, f = centre(node)
            if out is not None and out(x, y):
                return math.inf
            return octile(r, gx - x, gy - y, gf - f)

        return h


def _crossed(df: int, dx: int, dy: int) -> list[tuple[int, int, int]]:
    """The other blocks of the group a diagonal block move crosses (none for a face move)."""
    if abs(df) + abs(dx) + abs(dy) == 1:
        return []
    out = []
    for a in (0, df):
        for b in (0, dx):
            for c in (0, dy):
                if (a, b, c) not in ((0, 0, 0), (df, dx, dy)):
                    out.append((a, b, c))
    return sorted(set(out))


def _face(
    bf: int, bx: int, by: int, df: int, dx: int, dy: int, s: int, sf: int
) -> list[tuple[int, int, int]]:
    """Voxels ``(f, x, y)`` of the neighbouring block ``+(df, dx, dy)`` on the shared face."""
    f0, x0, y0 = (bf + df) * sf, (bx + dx) * s, (by + dy) * s
    fs = [f0] if df > 0 else [f0 + sf - 1] if df < 0 else list(range(f0, f0 + sf))
    xs = [x0] if dx > 0 else [x0 + s - 1] if dx < 0 else list(range(x0, x0 + s))
    ys = [y0] if dy > 0 else [y0 + s - 1] if dy < 0 else list(range(y0, y0 + s))
    return [(f, x, y) for f in fs for x in xs for y in ys]


def graph_polyline(
    graph: MultiResGraph, nodes: list[int], arrivals: list[float], departures: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``(N, 3)`` in tile space and times of a path of nodes (hovers as two
    vertices at one place, collinear runs merged)."""
    centres = [graph.centre(n) for n in nodes]
    pts: list[Centre] = [centres[0]]
    ts: list[float] = [arrivals[0]]
    for i in range(1, len(nodes)):
        if departures[i] > ts[-1] + 1e-9:
            pts.append(centres[i - 1])
            ts.append(departures[i])
        pts.append(centres[i])
        ts.append(arrivals[i])
    p, t = np.array(pts, dtype=np.float64), np.array(ts)
    if len(p) <= 2:
        return p, t
    d = np.diff(p, axis=0)
    cross = np.cross(d[1:], d[:-1])
    same = np.all(np.abs(cross) < 1e-12, axis=1) & (np.einsum("ij,ij->i", d[1:], d[:-1]) > 0)
    keep = np.r_[True, ~same, True]
    return p[keep], t[keep]
