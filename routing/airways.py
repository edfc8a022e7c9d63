"""The airway (drone corridor) network: centre lines in, a time-aware graph out.

A :class:`Corridor` is a centre line (``(lng, lat)`` vertices) with a width and an altitude
band. Each corridor the vehicle may use is flown at one flight level: the voxel layer
(``f``) in the middle of its band intersected with the vehicle's, every voxel of it inside
both. Nodes are the line vertices and the points where corridors meet: centre lines that
cross are cut at the crossing; a line end inside another corridor (within its own half
width of the other centre line) is joined to its projection on that line by a short
connector (inside the first corridor). Where two joined corridors fly at different levels
a vertical edge climbs or descends between them; corridors whose usable levels do not
touch are not joined (the climb would leave both bands).

:class:`AirwayNetwork` is a :class:`~routing.ground.GroundNetwork` whose edges carry 3D
voxel keys (:func:`air_key`), so the ground SIPP search, its edge index and interval
table plan on it unchanged (:mod:`routing.airway_search`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import shapely

from routing.errors import NoAirwayNearby
from routing.grid import tile_metres
from routing.ground import GEOD, INF, Edge, GroundNetwork
from routing.traversal import polyline_visits
from routing.vehicle import VehicleLimits
from spatialid import voxel_height
from spatialid.projection import lat_to_tile_y, lng_to_tile_x, tile_x_to_lng, tile_y_to_lat

KEY_BITS = 25
"""Bits of ``x`` and ``y`` in an :func:`air_key` (zooms up to 25)."""
_MASK = (1 << KEY_BITS) - 1
NodeKey = tuple[float, float, int]


def air_key(f: int, x: int, y: int) -> int:
    """One int for the voxel ``(f, x, y)`` (``f >= 0``)."""
    return f << (2 * KEY_BITS) | x << KEY_BITS | y


def air_voxel(key: int) -> tuple[int, int, int]:
    """The ``(f, x, y)`` of an :func:`air_key`."""
    return key >> (2 * KEY_BITS), (key >> KEY_BITS) & _MASK, key & _MASK


@dataclass(frozen=True)
class Corridor:
    """A corridor: centre line ``(lng, lat)`` vertices, width (m) and band (m, W84)."""

    id: str
    coords: Sequence[tuple[float, float]]
    width_m: float
    altitude_lower_m: float
    altitude_upper_m: float
    forward_only: bool = False


def levels(c: Corridor, limits: VehicleLimits, z: int) -> tuple[int, int] | None:
    """The first and last voxel layer inside both bands, or None when none fits."""
    h = voxel_height(z)
    lo = max(c.altitude_lower_m, limits.altitude_lower_m)
    hi = min(c.altitude_upper_m, limits.altitude_upper_m)
    f0, f1 = max(0, math.ceil(lo / h - 1e-9)), math.floor(hi / h + 1e-9) - 1
    return (f0, f1) if f0 <= f1 else None


def _key(p: Sequence[float], f: int) -> NodeKey:
    return (round(float(p[0]), 6), round(float(p[1]), 6), f)


class AirwayNetwork(GroundNetwork):
    """The corridors a vehicle may use, as a directed graph of 3D edges at zoom ``z``."""

    def __init__(self, corridors: Sequence[Corridor], limits: VehicleLimits, zoom: int = 23):
        self.z = z = zoom
        self.limits = limits
        self.voxel_h = voxel_height(z)
        self.corridors: list[Corridor] = []
        self.level: list[int] = []
        ranges: list[tuple[int, int]] = []
        lines: list[shapely.LineString] = []
        for c in corridors:
            r = levels(c, limits, z)
            if r is None or len(c.coords) < 2:
                continue
            xy = np.array(c.coords, dtype=np.float64)
            pts = np.column_stack([lng_to_tile_x(xy[:, 0], z), lat_to_tile_y(xy[:, 1], z)])
            self.corridors.append(c)
            ranges.append(r)
            self.level.append((r[0] + r[1]) // 2)
            lines.append(shapely.LineString(pts))
        self.lines = lines
        ys = [p[1] for ln in lines for p in ln.coords] or [0.0]
        self.tile_m = tile_metres(z, (min(ys) + max(ys)) / 2.0)
        self.half_w = [c.width_m / 2.0 / self.tile_m for c in self.corridors]
        self.pos: dict[Any, tuple[float, float]] = {}
        self.out: dict[Any, list[Edge]] = {}
        self.edges: list[Edge] = []
        self.owner: list[int] = []
        """Per edge: the corridor it lies in (its level's band)."""
        self._build(ranges)
        self._index()

    def _build(self, ranges: list[tuple[int, int]]) -> None:
        lines, lv = self.lines, self.level
        cuts: list[list[shapely.Point]] = [[] for _ in lines]
        links: list[tuple[int, shapely.Point, int, shapely.Point]] = []
        tree = shapely.STRtree(lines)
        for i, line in enumerate(lines):
            near = tree.query(line, predicate="dwithin", distance=max(self.half_w) * 2)
            for j in (int(j) for j in near):
                if j == i or max(ranges[i][0], ranges[j][0]) > min(ranges[i][1], ranges[j][1]) + 1:
                    continue
                if i < j:
                    for p in _points(line.intersection(lines[j])):
                        cuts[i].append(p)
                        cuts[j].append(p)
                        links.append((i, p, j, p))
                for end in (shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])):
                    d = lines[j].distance(end)
                    if 0 < d <= self.half_w[i]:
                        q = lines[j].interpolate(lines[j].project(end))
                        cuts[j].append(q)
                        links.append((i, end, j, q))
        for i, line in enumerate(lines):
            at = {line.project(shapely.Point(p)): p for p in line.coords}
            at |= {line.project(p): (p.x, p.y) for p in cuts[i]}
            stops = sorted(at.items())
            pts = [p for _, p in stops]
            for a, b in pairwise(pts):
                if _key(a, 0)[:2] != _key(b, 0)[:2]:
                    self._leg(i, (*a, lv[i]), (*b, lv[i]), both=not self.corridors[i].forward_only)
        for i, p, j, q in links:
            a, b = (p.x, p.y, lv[i]), (q.x, q.y, lv[i])
            if _key(a, 0)[:2] != _key(b, 0)[:2]:
                self._leg(i, a, b, both=True)
            if lv[i] != lv[j]:
                self._leg(i, b, (q.x, q.y, lv[j]), both=True)

    def _leg(self, owner: int, a: tuple[float, ...], b: tuple[float, ...], *, both: bool) -> None:
        """Edge ``a -> b`` (and back with ``both``) between ``(x, y, level)`` points."""
        for p, q in ((a, b), (b, a)) if both else ((a, b),):
            u, v = _key(p, int(p[2])), _key(q, int(q[2]))
            if u == v:
                continue
            pts = np.array([[p[0], p[1], p[2] + 0.5], [q[0], q[1], q[2] + 0.5]])
            horiz = math.hypot(q[0] - p[0], q[1] - p[1]) * self.tile_m
            if horiz > 0:
                length, speed = horiz, self.limits.max_speed_mps
            else:
                length = abs(q[2] - p[2]) * self.voxel_h
                up = q[2] > p[2]
                speed = self.limits.climb_rate_mps if up else self.limits.descent_rate_mps
            e = self.make_edge(u, v, length, speed, pts)
            e.idx = len(self.edges)
            self.pos.setdefault(u, (p[0], p[1]))
            self.pos.setdefault(v, (q[0], q[1]))
            self.out.setdefault(u, []).append(e)
            self.edges.append(e)
            self.owner.append(owner)

    def _index(self) -> None:
        """The tables :class:`~routing.ground_search.GroundPlanner` reads (as in the base)."""
        self.max_speed = max((e.speed for e in self.edges), default=1.0)
        self.into: dict[Any, list[tuple[Any, float]]] = {}
        for e in self.edges:
            self.into.setdefault(e.v, []).append((e.u, e.seconds))
        self._names = list(self.pos)
        self._ids = {n: i for i, n in enumerate(self._names)}
        self._into_i = [[] for _ in self._names]
        for e in self.edges:
            self._into_i[self._ids[e.v]].append((self._ids[e.u], e.seconds))
        by_voxel: dict[int, list[tuple[int, float, float]]] = {}
        for e in self.edges:
            for k, da, db in e.offsets:
                by_voxel.setdefault(k, []).append((e.idx, da, db))
        self.by_voxel = {k: tuple(v) for k, v in by_voxel.items()}
        self.flat = [i for i, e in enumerate(self.edges) if e.length_m > 0 and _flat(e)]
        """The horizontal edges: where an origin or destination may enter or leave."""
        self.tree = shapely.STRtree([shapely.LineString(self.edges[i].pts) for i in self.flat])

    def make_edge(self, u: Any, v: Any, length_m: float, speed: float, pts: np.ndarray) -> Edge:
        """An :class:`Edge` over tile-space ``(x, y, f)`` points with its 3D voxel keys."""
        seg = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
        frac = seg / seg[-1] if seg[-1] > 0 else np.linspace(0.0, 1.0, len(pts))
        cells, fa, fb = polyline_visits(pts, frac)
        keys = tuple(air_key(f, x, y) for x, y, f in cells.tolist())
        return Edge(u, v, length_m, speed, pts, keys, tuple(fa.tolist()), tuple(fb.tolist()))

    def snap(
        self, lng: float, lat: float, max_m: float = INF, end: str = "origin"
    ) -> tuple[Edge, float]:
        """The nearest horizontal edge and the fraction along it of the projected point.

        The point must be inside a corridor or at most ``max_m`` metres from its edge,
        else ``NoAirwayNearby`` (naming ``end``, with the distance)."""
        if not self.flat:
            raise NoAirwayNearby("no airway fits the vehicle's altitude band", field=end)
        p = shapely.Point(float(lng_to_tile_x(lng, self.z)), float(lat_to_tile_y(lat, self.z)))
        i = self.flat[int(self.tree.nearest(p))]
        e = self.edges[i]
        line = shapely.LineString(e.pts[:, :2])
        frac = float(line.project(p, normalized=True))
        q = line.interpolate(frac, normalized=True)
        qlng, qlat = float(tile_x_to_lng(q.x, self.z)), float(tile_y_to_lat(q.y, self.z))
        outside = (
            float(GEOD.inv(lng, lat, qlng, qlat)[2]) - self.corridors[self.owner[i]].width_m / 2
        )
        if outside > max_m:
            raise NoAirwayNearby(
                f"the {end} is {outside:.1f} m outside the nearest airway (at most {max_m:g} m)",
                field=end,
                distance_m=outside,
                max_distance_m=max_m,
            )
        return e, frac


def _flat(e: Edge) -> bool:
    return bool(e.pts[0][2] == e.pts[-1][2])


def _points(geom: Any) -> list[shapely.Point]:
    """The points of an intersection (the ends of shared stretches for overlaps)."""
    out: list[shapely.Point] = []
    for g in getattr(geom, "geoms", [geom]):
        if g.is_empty:
            continue
        if isinstance(g, shapely.Point):
            out.append(g)
        else:
            out.extend(shapely.Point(c) for c in g.coords)
    return out
