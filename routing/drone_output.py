"""Tile-space pieces of the drone planner's input and output: the store of shared grids, the
padded search box (snapped to the coarse blocks), and a timed polyline turned into a Route."""

from __future__ import annotations

from collections.abc import Hashable
from functools import partial
from itertools import repeat
from typing import Protocol

import numpy as np

from routing.grid import VoxelGrid
from routing.occupancy import TileBox
from routing.route import Route, Visit
from routing.traversal import polyline_visits
from spatialid import Voxel
from spatialid.projection import tile_f_to_alt, tile_x_to_lng, tile_y_to_lat

_new_voxel = partial(tuple.__new__, Voxel)  # Voxel(*row) without a Python-level call


class GridStore(Protocol):
    """Static grids shared between planners (see :mod:`routing.drone`)."""

    def find(self, token: Hashable, box: TileBox) -> VoxelGrid | None:
        """A grid built with ``token`` whose box contains ``box``, if any."""

    def put(self, token: Hashable, box: TileBox, grid: VoxelGrid) -> None:
        """Remember ``grid``, built with ``token`` over ``box``."""


def padded_box(
    a: Voxel, b: Voxel, pad_fraction: float, min_pad_tiles: int, z: int
) -> tuple[TileBox, int]:
    """The tile box of ``a`` and ``b`` padded by ``pad_fraction`` of their span (at least
    ``min_pad_tiles``), clipped to the world; and the pad."""
    span = max(abs(a.x - b.x), abs(a.y - b.y))
    pad = max(min_pad_tiles, int(span * pad_fraction))
    n = 1 << z
    box = TileBox(
        max(0, min(a.x, b.x) - pad),
        max(0, min(a.y, b.y) - pad),
        min(n, max(a.x, b.x) + pad + 1),
        min(n, max(a.y, b.y) + pad + 1),
    )
    return box, pad


def snap_box(box: TileBox, q: int, n: int) -> TileBox:
    """``box`` grown outward to multiples of ``q`` (clipped to ``[0, n)``)."""
    return TileBox(
        max(0, box.x0 // q * q),
        max(0, box.y0 // q * q),
        min(n, -(-box.x1 // q) * q),
        min(n, -(-box.y1 // q) * q),
    )


def to_route(
    grid: VoxelGrid,
    points: np.ndarray,
    times: np.ndarray,
    t_ref: float,
    buffer_s: float,
    *,
    expansions: int = 0,
    grid_duration_s: float = 0.0,
) -> Route:
    """A :class:`Route` from a timed tile-space polyline (times relative to ``t_ref``)."""
    z = grid.z
    cells, enters, leaves = polyline_visits(points, times)
    voxels = map(
        _new_voxel, zip(repeat(z), cells[:, 2].tolist(), cells[:, 0].tolist(), cells[:, 1].tolist())
    )
    visits = list(map(Visit, voxels, (enters + t_ref).tolist(), (leaves + t_ref).tolist()))
    lng = tile_x_to_lng(points[:, 0], z)
    lat = tile_y_to_lat(points[:, 1], z)
    alt = tile_f_to_alt(points[:, 2], z)
    waypoints = [
        (float(p), float(q), float(r), t_ref + float(t))
        for p, q, r, t in zip(lng, lat, alt, times, strict=True)
    ]
    return Route(visits, waypoints, buffer_s, expansions, grid_duration_s)
