"""Synthetic worlds for tests, benchmarks and demos (no I/O): a grid road network, a disc-shaped
no-fly zone."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from spatialid import VoxelSet

M_PER_DEG_LAT = 111_320.0


def grid_network(
    lng0: float,
    lat0: float,
    n: int = 10,
    spacing_m: float = 50.0,
    *,
    speed_mps: float = 2.0,
    oneway_rows: bool = False,
) -> nx.DiGraph:
    """An ``n x n`` street grid south-east of ``(lng0, lat0)``; nodes ``(i, j)``.

    Every street goes both ways, except (with ``oneway_rows``) the east-west streets
    of odd rows, which go east only.
    """
    g = nx.DiGraph()
    dlng = spacing_m / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    dlat = spacing_m / M_PER_DEG_LAT
    for i in range(n):
        for j in range(n):
            g.add_node((i, j), lng=lng0 + i * dlng, lat=lat0 - j * dlat)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                a, b = (i, j), (i + di, j + dj)
                if b not in g:
                    continue
                attrs = {
                    "length_m": spacing_m,
                    "speeds": {"robot": speed_mps, "car": 4 * speed_mps},
                }
                g.add_edge(a, b, **attrs)
                if not (oneway_rows and dj == 0 and j % 2 == 1):
                    g.add_edge(b, a, **attrs)
    return g


def disc_zone(z: int, cx: float, cy: float, radius_tiles: float, f0: int, f1: int) -> VoxelSet:
    """A no-fly zone: the tiles at zoom ``z`` whose centre lies within ``radius_tiles`` of
    ``(cx, cy)`` (tile units), layers ``f0 .. f1 - 1``, as runs (one per row and layer)."""
    r = float(radius_tiles)
    ys = np.arange(math.floor(cy - r), math.ceil(cy + r) + 1, dtype=np.int64)
    half = np.sqrt(np.maximum(0.0, r * r - (ys + 0.5 - cy) ** 2))
    a = np.ceil(cx - half - 0.5).astype(np.int64)
    b = np.floor(cx + half - 0.5).astype(np.int64) + 1
    keep = b > a
    ys, a, b = ys[keep], a[keep], b[keep]
    nf = f1 - f0
    f = np.repeat(np.arange(f0, f1, dtype=np.int64), len(ys))
    return VoxelSet.from_runs(z, f, np.tile(ys, nf), np.tile(a, nf), np.tile(b, nf))
