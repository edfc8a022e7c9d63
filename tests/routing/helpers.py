"""Small hand-made worlds for the planner tests (tile indices near Tokyo station, z23)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np

from routing.grid import Grid
from routing.motion import moves
from routing.occupancy import MemoryOccupancy
from routing.route import Route
from routing.vehicle import VehicleLimits
from spatialid import Voxel, VoxelSet, lnglat_to_voxel
from spatialid.projection import tile_f_to_alt, tile_x_to_lng, tile_y_to_lat

Z = 23
BASE = lnglat_to_voxel(139.767125, 35.681236, 0.0, Z)
X0, Y0 = BASE.x, BASE.y
T0 = 1_800_000_000.0
LIMITS = VehicleLimits(max_speed_mps=10.0, climb_rate_mps=2.0, descent_rate_mps=2.0,
                       altitude_lower_m=0.0, altitude_upper_m=40.0, safety_buffer_s=0.0)


def centre(f: int, dx: int, dy: int) -> tuple[float, float, float]:
    """``(lng, lat, alt)`` of the centre of voxel ``(f, X0 + dx, Y0 + dy)``."""
    return (float(tile_x_to_lng(X0 + dx + 0.5, Z)), float(tile_y_to_lat(Y0 + dy + 0.5, Z)),
            float(tile_f_to_alt(f + 0.5, Z)))


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


def explicit_graph(grid: Grid, limits: VehicleLimits) -> nx.DiGraph:
    """Brute force: every free voxel of the grid and every allowed move, explicitly (a
    move is allowed when every cell of its ``2 x 2 (x 2)`` box is free)."""
    table = dict(moves(grid, limits))
    g = nx.DiGraph()
    for key in range(len(grid.blocked)):
        if grid.blocked[key]:
            continue
        for off, df, dx, dy in grid.offsets():
            box = [((a * grid.ny + c) * grid.nx + b) for a in sorted({0, df})
                   for b in sorted({0, dx}) for c in sorted({0, dy})]  # incl. 0 and off
            if not any(grid.blocked[key + o] for o in box):  # no edge or corner of a block
                g.add_edge(key, key + off, weight=table[off])
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
        for b in ids[i + 1:]:
            ha, hb = held[a], held[b]
            for v in ha.keys() & hb.keys():
                if any(a0 < b1 and b0 < a1 for a0, a1 in ha[v] for b0, b1 in hb[v]):
                    out.append(f"{a} and {b} both hold {v}")
    return out
