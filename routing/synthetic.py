"""Synthetic worlds for tests, benchmarks and demos (no I/O): a grid road network."""

from __future__ import annotations

import math

import networkx as nx

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
