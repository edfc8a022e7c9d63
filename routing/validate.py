"""An independent route checker used by tests, the benchmark and the API.

It knows nothing of the planners' grids: it reads the route's visits and waypoints and
asks the :class:`~routing.occupancy.Occupancy` directly. ``validate_route`` returns the
list of problems (empty when the route is valid); ``check_route`` raises on the first.
"""

from __future__ import annotations

import math

import numpy as np

from routing.errors import RoutingError
from routing.occupancy import Occupancy, TileBox
from routing.route import EARTH_RADIUS_M, Route
from routing.traversal import corner_cells
from routing.vehicle import VehicleLimits
from spatialid import VoxelSet, voxel_height

SPEED_TOLERANCE = 1.01
"""Speeds are measured with a local equirectangular metric, the planners use the Mercator
scale of their grid: they agree to well under 1 % over a city."""


def _continuity(route: Route) -> list[str]:
    out = []
    vs = route.visits
    for i, v in enumerate(vs):
        if v.leave < v.enter:
            out.append(f"visit {i} {v.voxel} leaves before it enters")
        if i == 0:
            continue
        p = vs[i - 1]
        step = max(
            abs(v.voxel.f - p.voxel.f), abs(v.voxel.x - p.voxel.x), abs(v.voxel.y - p.voxel.y)
        )
        if step != 1 or v.voxel.z != p.voxel.z:
            out.append(f"visits {i - 1}->{i}: {p.voxel} -> {v.voxel} are not 26-neighbours")
        if v.enter < p.enter - 1e-9 or v.enter > p.leave + 1e-6:
            out.append(f"visits {i - 1}->{i}: times jump ({p.leave} -> {v.enter})")
    return out


def _kinematics(route: Route, limits: VehicleLimits) -> list[str]:
    out = []
    w = route.waypoints
    h = voxel_height(route.visits[0].voxel.z)
    for i in range(len(w) - 1):
        (x0, y0, a0, t0), (x1, y1, a1, t1) = w[i], w[i + 1]
        dt = t1 - t0
        if dt < 0:
            out.append(f"waypoint {i + 1}: time goes backwards")
            continue
        lat = math.radians((y0 + y1) / 2.0)
        dx = math.radians(x1 - x0) * math.cos(lat) * EARTH_RADIUS_M
        dy = math.radians(y1 - y0) * EARTH_RADIUS_M
        horiz, dz = math.hypot(dx, dy), a1 - a0
        rate = limits.climb_rate_mps if dz > 0 else limits.descent_rate_mps
        if horiz > limits.max_speed_mps * dt * SPEED_TOLERANCE + 1e-6:
            out.append(f"segment {i}: {horiz:.1f} m in {dt:.3f} s is over max speed")
        if abs(dz) > rate * dt * SPEED_TOLERANCE + 1e-6:
            out.append(f"segment {i}: {dz:.1f} m in {dt:.3f} s is over the climb/descent rate")
    for v in route.visits:
        if (
            v.voxel.f * h < limits.altitude_lower_m - 1e-6
            or (v.voxel.f + 1) * h > limits.altitude_upper_m + 1e-6
        ):
            out.append(f"{v.voxel} is outside the altitude band")
            break
    return out


def _occupancy(route: Route, occupancy: Occupancy) -> list[str]:
    z = route.visits[0].voxel.z
    arr = np.array([(v.voxel.f, v.voxel.x, v.voxel.y) for v in route.visits], np.int64)
    t0 = np.array([v.enter for v in route.visits]) - route.safety_buffer_s
    t1 = np.array([v.leave for v in route.visits]) + route.safety_buffer_s
    box = TileBox(
        int(arr[:, 1].min()),
        int(arr[:, 2].min()),
        int(arr[:, 1].max()) + 1,
        int(arr[:, 2].max()) + 1,
    )
    out = []
    mine = VoxelSet.from_arrays(z, arr[:, 0], arr[:, 1], arr[:, 2])
    static = occupancy.blocked_static(z, box)  # corner cells lie inside it too
    hit = mine & static
    if hit:
        out.append(f"statically blocked voxels: {[str(v) for v in list(hit)[:5]]}")
    touched = corner_cells(arr)
    if len(touched):
        near = VoxelSet.from_arrays(z, touched[:, 0], touched[:, 1], touched[:, 2]) & static
        if near:
            out.append(
                f"passes an edge or corner of statically blocked voxels: "
                f"{[str(v) for v in list(near)[:5]]}"
            )
    rows = occupancy.busy_in(z, box, float(t0.min()), float(t1.max()))
    if rows.f.size:
        fmin = min(int(arr[:, 0].min()), int(rows.f.min()))
        w, hgt = box.x1 - box.x0, box.y1 - box.y0

        def code(f: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return ((f - fmin) * w + (x - box.x0)) * hgt + (y - box.y0)

        mk, rk = code(arr[:, 0], arr[:, 1], arr[:, 2]), code(rows.f, rows.x, rows.y)
        for r in np.flatnonzero(np.isin(rk, mk)).tolist():
            for i in np.flatnonzero(mk == rk[r]).tolist():
                if t0[i] < rows.end[r] and rows.start[r] < t1[i]:
                    out.append(
                        f"{route.visits[i].voxel} is busy [{rows.start[r]}, "
                        f"{rows.end[r]}) while the route holds it [{t0[i]}, {t1[i]}]"
                    )
    return out


def validate_route(
    route: Route, occupancy: Occupancy, limits: VehicleLimits | None = None
) -> list[str]:
    """Every problem found: continuity, static blocks, busy overlaps, speed, climb, band."""
    if not route.visits or not route.waypoints:
        return ["the route is empty"]
    out = _continuity(route) + _occupancy(route, occupancy)
    if limits is not None:
        out += _kinematics(route, limits)
    return out


def check_route(route: Route, occupancy: Occupancy, limits: VehicleLimits | None = None) -> None:
    """Raise :class:`~routing.errors.RoutingError` naming the problems, if any."""
    problems = validate_route(route, occupancy, limits)
    if problems:
        raise RoutingError("invalid route: " + "; ".join(problems[:5]))
