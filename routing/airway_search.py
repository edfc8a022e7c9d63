"""SIPP on an :class:`~routing.airways.AirwayNetwork`: the ground search in 3D voxels.

:class:`AirwayPlanner` is the :class:`~routing.ground_search.GroundPlanner` (same states,
edge index, interval table and reservation per visit) with a table of the corridor
voxels' busy rows at every level, statically blocked voxels (obstacles and permanent
restrictions) busy at all times, and a route of 3D visits with the flight altitudes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from routing.airways import AirwayNetwork, air_key, air_voxel
from routing.ground_search import GroundPlanner, unwind
from routing.intervals import IntervalTable
from routing.occupancy import Occupancy, TileBox
from routing.route import Route, Visit
from routing.vehicle import VehicleLimits
from spatialid import Voxel
from spatialid.projection import tile_x_to_lng, tile_y_to_lat

INF = math.inf


def _keys(f: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    f, x, y = (np.asarray(a, dtype=np.int64) for a in (f, x, y))
    ok = f >= 0
    return np.where(ok, (f << 50) | (x << 25) | y, -1)


class AirwayPlanner(GroundPlanner):
    """Plans ``airways_only`` drone routes on a corridor network, in time."""

    net: AirwayNetwork

    @classmethod
    def from_occupancy(  # type: ignore[override]
        cls,
        network: AirwayNetwork,
        occupancy: Occupancy,
        departure: float,
        limits: VehicleLimits | None = None,
        *,
        max_expansions: int = 200_000,
    ) -> AirwayPlanner:
        """A planner whose table holds the busy rows of the network's voxels from
        ``departure`` on, and its statically blocked voxels busy at all times."""
        limits = limits or network.limits
        buf = limits.safety_buffer_s
        table = IntervalTable(buf)
        if network.edges:
            xs = [x for x, _ in network.pos.values()]
            ys = [y for _, y in network.pos.values()]
            box = TileBox(int(min(xs)) - 1, int(min(ys)) - 1, int(max(xs)) + 2, int(max(ys)) + 2)
            mine = np.fromiter(network.by_voxel, dtype=np.int64)
            rows = occupancy.busy_in(network.z, box, departure - 2 * buf, INF)
            k = _keys(rows.f, rows.x, rows.y)
            hit = np.isin(k, mine)
            busy = zip(
                k[hit].tolist(), rows.start[hit].tolist(), rows.end[hit].tolist(), strict=True
            )
            f, x, y = occupancy.blocked_static(network.z, box).to_arrays()
            sk = _keys(f, x, y)
            blocked = np.unique(sk[np.isin(sk, mine)]).tolist()
            table.add_many([*busy, *((key, -INF, INF) for key in blocked)])
        return cls(network, limits, table=table, max_expansions=max_expansions)

    def _route(
        self, state: Any, best: Any, parent: Any, departure: float, expansions: int
    ) -> Route:
        steps = unwind(state, parent)
        z, h = self.net.z, self.net.voxel_h
        keys: list[int] = []
        enter: list[float] = []
        leave: list[float] = []
        wps: list[tuple[float, ...]] = []
        t_prev = departure

        def hold(k: int, a: float, b: float) -> None:
            if keys and keys[-1] == k:
                leave[-1] = max(leave[-1], b)
            else:
                keys.append(k)
                enter.append(a)
                leave.append(b)

        for e, t in steps:
            p0, p1 = e.pts[0], e.pts[-1]
            if not wps:
                wps.append((*map(float, p0), t_prev))
            if t > t_prev:  # wait at the node
                hold(e.keys[0], t_prev, t)
                wps.append((*map(float, p0), t))
            for k, a, b in e.offsets:
                hold(k, t + a, t + b)
            t_prev = t + e.seconds
            wps.append((*map(float, p1), t_prev))
        visits = [
            Visit(Voxel(z, *air_voxel(k)), a, b) for k, a, b in zip(keys, enter, leave, strict=True)
        ]
        out: list[tuple[float, float, float, float]] = []
        for x, y, f, t in wps:  # tile x, y, f and time
            w = (float(tile_x_to_lng(x, z)), float(tile_y_to_lat(y, z)), f * h, t)
            if not out or w != out[-1]:
                out.append(w)
        return Route(visits, out, self.limits.safety_buffer_s, expansions, t_prev - departure)


__all__ = ["AirwayPlanner", "air_key"]
