"""Tile-space pieces of the drone planner's input and output: a search box snapped to the
coarse blocks, and a timed polyline turned into a Route."""

from __future__ import annotations

from functools import partial
from itertools import repeat

import numpy as np

from routing.grid import VoxelGrid
from routing.occupancy import TileBox
from routing.route import Route, Visit
from routing.traversal import polyline_visits
from spatialid import Voxel
from spatialid.projection import tile_f_to_alt, tile_x_to_lng, tile_y_to_lat

_new_voxel = partial(tuple.__new__, Voxel)  # Voxel(*row) without a Python-level call


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
