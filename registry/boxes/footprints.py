"""The horizontal footprint of leaf boxes: the union of their rectangles, in lng/lat.

Boxes that are cells of one grid (all the same size and aligned to it: a route's voxels,
the IDs of one zoom) are outlined directly: a cell side is on the boundary when the cell
across it is not in the set; the sides, directed with the inside on their left, are
walked into rings (at a corner where two cells touch only diagonally the walk turns left,
so the two stay separate polygons touching at a point), counter-clockwise rings are
shells and clockwise ones holes. That is exact (integers) and takes one pass over the
boundary, where a polygon union costs far more. Any other mix of rectangles takes the
general union. Either way the result is mapped from leaf coordinates to degrees last.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from registry.models import LEAF_ZOOM

_N = float(1 << LEAF_ZOOM)
_DI = np.array([1, 0, -1, 0])
_DJ = np.array([0, 1, 0, -1])
"""Unit steps of the directions 0..3 (+x, +y, -x, -y); a left turn is ``d + 1``."""


def _to_degrees(xy: np.ndarray) -> np.ndarray:
    """Leaf ``(x, y)`` coordinates as ``(lng, lat)`` degrees (web mercator tiles)."""
    lng = xy[:, 0] / _N * 360 - 180
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * xy[:, 1] / _N))))
    return np.column_stack([lng, lat])


def _one_grid(xy: np.ndarray) -> bool:
    """Whether the rectangles ``(x0, x1, y0, y1)`` are cells of one grid."""
    w, h = xy[0, 1] - xy[0, 0], xy[0, 3] - xy[0, 2]
    return not (
        (xy[:, 1] - xy[:, 0] != w).any()
        or (xy[:, 3] - xy[:, 2] != h).any()
        or (xy[:, 0] % w).any()
        or (xy[:, 2] % h).any()
    )


def _sides(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Boundary sides of distinct cells ``(i, j)`` (relative, >= 1), inside on the left:
    start ``i``, ``j``, direction; and the row length ``m`` of packed vertices
    ``i * m + j``."""
    m = int(cells[:, 1].max()) + 3
    key = cells[:, 0] * m + cells[:, 1]
    keys = np.sort(key)

    def absent(di: int, dj: int) -> np.ndarray:
        k = key + di * m + dj
        pos = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
        return np.asarray(keys[pos] != k)

    i, j = cells[:, 0], cells[:, 1]
    parts = []  # (start i, start j, direction) going round each cell anticlockwise
    for (di, dj), si, sj, d in (
        ((0, -1), i, j, 0),
        ((1, 0), i + 1, j, 1),
        ((0, 1), i + 1, j + 1, 2),
        ((-1, 0), i, j + 1, 3),
    ):
        mask = absent(di, dj)
        parts.append((si[mask], sj[mask], np.full(int(mask.sum()), d)))
    return (*(np.concatenate([p[k] for p in parts]) for k in range(3)), m)  # type: ignore[return-value]


def _cycles(succ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cycles of the permutation ``succ``: each element's cycle label (its smallest
    member) and an order listing every cycle from that member on (pointer jumping)."""
    n = len(succ)
    steps = max(1, int(np.ceil(np.log2(n))) + 1)
    lab, p = np.arange(n), succ.copy()
    for _ in range(steps):
        lab, p = np.minimum(lab, lab[p]), p[p]
    last = lab[succ] == succ  # the element before its cycle's head ends the list
    nxt = np.where(last, np.arange(n), succ)
    rank = (~last).astype(np.int64)
    for _ in range(steps):
        rank, nxt = rank + rank[nxt], nxt[nxt]
    return lab, np.lexsort((-rank, lab))


def _split(ring: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """A ring that passes a vertex twice as rings passing each vertex once."""
    out: list[list[tuple[int, int]]] = []
    stack: list[tuple[int, int]] = []
    at: dict[tuple[int, int], int] = {}
    for v in ring:
        if v in at:
            k = at[v]
            out.append(stack[k:])
            for u in stack[k + 1 :]:
                del at[u]
            stack = stack[: k + 1]
        else:
            at[v] = len(stack)
            stack.append(v)
    return [*out, stack]


def _rings(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed rings round distinct cells as corner vertices ``(i, j)`` (the first not
    repeated) and the ring of each, ring by ring: anticlockwise round the cells,
    clockwise round the holes."""
    si, sj, sd, m = _sides(cells)
    n = len(sd)
    start = si * m + sj
    end = (si + _DI[sd]) * m + sj + _DJ[sd]
    key = start * 4 + sd
    order = np.argsort(key)
    skey = key[order]
    succ = np.full(n, -1)
    for turn in (1, 0, 3):  # left, straight, right: the first side leaving the end
        want = end * 4 + (sd + turn) % 4
        pos = np.minimum(np.searchsorted(skey, want), n - 1)
        hit = (skey[pos] == want) & (succ < 0)
        succ[hit] = order[pos[hit]]
    lab, walk = _cycles(succ)
    pred = np.empty(n, np.int64)
    pred[succ] = np.arange(n)
    walk = walk[sd[walk] != sd[pred[walk]]]  # corners only
    ring, pts = lab[walk], np.column_stack([si[walk], sj[walk]])
    by = np.lexsort((start[walk], ring))
    twice = (ring[by][1:] == ring[by][:-1]) & (start[walk][by][1:] == start[walk][by][:-1])
    if twice.any():  # a ring touching itself at a corner (a pinch): split it there
        pinched = set(ring[by][1:][twice].tolist())
        keep = ~np.isin(ring, list(pinched))
        parts, ids = [pts[keep]], [ring[keep]]
        top = int(ring.max()) + 1
        for r in sorted(pinched):
            for sub in _split([tuple(p) for p in pts[ring == r].tolist()]):
                parts.append(np.array(sub, np.int64))
                ids.append(np.full(len(sub), top))
                top += 1
        pts, ring = np.concatenate(parts), np.concatenate(ids)
        order = np.argsort(ring, kind="stable")
        pts, ring = pts[order], ring[order]
    return pts, ring


def _outline(xy: np.ndarray) -> BaseGeometry:
    """The union of cells of one grid, ``(x0, x1, y0, y1)`` rows (leaf coordinates)."""
    w, h = int(xy[0, 1] - xy[0, 0]), int(xy[0, 3] - xy[0, 2])
    i0, j0 = int(xy[:, 0].min()) // w - 1, int(xy[:, 2].min()) // h - 1
    i, j = xy[:, 0] // w - i0, xy[:, 2] // h - j0
    m = int(j.max()) + 1
    packed = np.unique(i * m + j)
    pts, ring = _rings(np.column_stack([packed // m, packed % m]))
    coords = (pts.astype(np.float64) + np.array([i0, j0])) * np.array([w, h])
    first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    x, y = coords[:, 0], coords[:, 1]
    nxt = np.arange(1, len(x) + 1)
    nxt[np.r_[first[1:], len(x)] - 1] = first  # each ring's last vertex to its first
    area = np.add.reduceat(x * y[nxt] - x[nxt] * y, first)
    ids = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(x)]))
    rings = shapely.linearrings(coords, indices=ids)
    if (area > 0).all():
        return shapely.multipolygons(shapely.polygons(rings))
    shells, holes = rings[area > 0], rings[area < 0]
    polys = shapely.polygons(shells)
    inner: list[list[BaseGeometry]] = [[] for _ in shells]
    for hole in holes:  # in the smallest shell around it (islands may lie in holes)
        ring_poly = shapely.polygons(hole)
        k = min((p.area, k) for k, p in enumerate(polys) if p.covers(ring_poly))[1]
        inner[k].append(hole)
    return MultiPolygon([Polygon(s, inner[k]) for k, s in enumerate(shells)])


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    return MultiPolygon(polys)


def footprint(rows: np.ndarray) -> MultiPolygon:
    """The union of the boxes' horizontal footprints (lng/lat degrees)."""
    rows = np.asarray(rows, np.int64).reshape(-1, 6)
    if not len(rows):
        return MultiPolygon()
    if _one_grid(rows[:, :4]):
        geom = _outline(rows[:, :4])
    else:
        r = np.unique(rows[:, :4], axis=0).astype(np.float64)
        geom = shapely.union_all(shapely.box(r[:, 0], r[:, 2], r[:, 1], r[:, 3]))
    return _as_multipolygon(shapely.transform(geom, _to_degrees))
