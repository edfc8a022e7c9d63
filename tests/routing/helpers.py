"""Small hand-made worlds for the planner tests (tile indices near Tokyo station, z23)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np

from routing.grid import VoxelGrid
from routing.occupancy import MemoryOccupancy
from routing.route import Route
from routing.vehicle import VehicleLimits
from spatialid import Voxel, VoxelSet, lnglat_to_voxel
from spatialid.projection import tile_f_to_alt, tile_x_to_lng, tile_y_to_lat

Z = 23
BASE = lnglat_to_voxel(139.767125, 35.681236, 0.0, Z)
X0, Y0 = BASE.x, BASE.y
T0 = 1_800_000_000.0
LIMITS = VehicleLimits(
    max_speed_mps=10.0,
    climb_rate_mps=2.0,
    descent_rate_mps=2.0,
    altitude_lower_m=0.0,
    altitude_upper_m=40.0,
    safety_buffer_s=0.0,
)


def centre(f: int, dx: int, dy: int) -> tuple[float, float, float]:
    """``(lng, lat, alt)`` of the centre of voxel ``(f, X0 + dx, Y0 + dy)``."""
    return (
        float(tile_x_to_lng(X0 + dx + 0.5, Z)),
        float(tile_y_to_lat(Y0 + dy + 0.5, Z)),
        float(tile_f_to_alt(f + 0.5, Z)),
    )


def cells(items: Iterable[tuple[int, int, int]]) -> VoxelSet:
    """A VoxelSet from ``(f, dx, dy)`` offsets."""
    a = np.array(list(items), dtype=np.int64).reshape(-1, 3)
    return VoxelSet.from_arrays(Z, a[:, 0], X0 + a[:, 1], Y0 + a[:, 2])


def world(blocked: Iterable[tuple[int, int, int]] = ()) -> MemoryOccupancy:
    """An occupancy with the given static blocks."""
    occ = MemoryOccupancy()
    b = list(blocked)
    if b:
        occ.add_static(cells(b))
    return occ


def explicit_graph(
    grid: VoxelGrid, limits: VehicleLimits, blocks: Iterable[tuple[int, int, int]] = ()
) -> nx.DiGraph:
    """Brute force, independent of the planner's tables: every free voxel of the
    planning box and every move to one of its 26 neighbours, its time from the geometry.

    Only the box's extent is taken from ``grid``; its interior voxels are free except
    ``blocks`` (``(f, dx, dy)`` offsets from ``(X0, Y0)``). A move is allowed when every
    voxel of its ``2 x 2 (x 2)`` box is free; it takes the longer of the horizontal
    distance at the top speed and the vertical one at the climb or descent rate, one
    tile width (Web Mercator at the box's middle row) for the whole box."""
    n = 2**Z
    lat = math.atan(math.sinh(math.pi * (1.0 - 2.0 * (grid.y0 + grid.ny / 2.0) / n)))
    tile_m = 2.0 * math.pi * 6378137.0 * math.cos(lat) / n
    height_m = 2.0 ** (25 - Z)
    walls = {(f, X0 + dx, Y0 + dy) for f, dx, dy in blocks}
    xs = range(grid.x0 + 1, grid.x0 + grid.nx - 1)
    ys = range(grid.y0 + 1, grid.y0 + grid.ny - 1)
    fs = range(grid.f0 + 1, grid.f0 + grid.nf - 1)

    def free(f: int, x: int, y: int) -> bool:
        return f in fs and x in xs and y in ys and (f, x, y) not in walls

    g = nx.DiGraph()
    for f in fs:
        for x in xs:
            for y in ys:
                if not free(f, x, y):
                    continue
                for df in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        for dy in (-1, 0, 1):
                            if not (df or dx or dy):
                                continue
                            if not all(
                                free(f + a, x + b, y + c)
                                for a in {0, df}
                                for b in {0, dx}
                                for c in {0, dy}
                            ):
                                continue
                            rate = limits.climb_rate_mps if df > 0 else limits.descent_rate_mps
                            secs = max(
                                math.hypot(dx, dy) * tile_m / limits.max_speed_mps,
                                abs(df) * height_m / rate,
                            )
                            g.add_edge((f, x, y), (f + df, x + dx, y + dy), weight=secs)
    return g


def pairwise_conflicts(routes: dict[str, Route], *, parking: bool = True) -> list[str]:
    """Every pair of robots holding one voxel at overlapping times (published windows,
    plus parking at the origin before departure and at the destination after arrival)."""
    held: dict[str, dict[Voxel, list[tuple[float, float]]]] = {}
    for rid, r in routes.items():
        mine: dict[Voxel, list[tuple[float, float]]] = {}
        for v, t0, t1 in r.windows():
            mine.setdefault(v, []).append((t0, t1))
        if parking:
            mine.setdefault(r.visits[0].voxel, []).append((-math.inf, r.departure))
            mine.setdefault(r.visits[-1].voxel, []).append((r.arrival, math.inf))
        held[rid] = mine
    ids = sorted(held)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            ha, hb = held[a], held[b]
            for v in ha.keys() & hb.keys():
                if any(a0 < b1 and b0 < a1 for a0, a1 in ha[v] for b0, b1 in hb[v]):
                    out.append(f"{a} and {b} both hold {v}")
    return out
