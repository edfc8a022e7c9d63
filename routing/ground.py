"""The ground planner: SIPP over a road/sidewalk graph with interval reservations.

Nodes carry ``lng``/``lat``; edges ``length_m`` and a speed: ``speeds`` (a dict by vehicle
kind; a kind missing from it may not use the edge) or ``speed_mps`` (any kind), capped by
the vehicle's ``max_speed_mps``. A ``DiGraph``/``MultiDiGraph`` edge is one-way; an
undirected graph's edges go both ways. Each edge is mapped to the ground voxels
(``f = 0``) it crosses at the network's zoom, with the part of the edge spent in each.

A robot moving along an edge at constant speed holds each voxel while it is inside it;
waiting holds the node's voxel. States are ``(node, safe interval of its voxel)``; a move
leaves at the earliest time every edge voxel is free when the robot is in it (it waits at
the node otherwise, or detours when that is faster). Origins and destinations snap to the
nearest usable edge (a shapely ``STRtree``, an R-tree over the edges' bounding boxes that
refines its candidates by exact distance), entered at the projected point; a point
farther from every usable edge than the vehicle's ``snap_max_m`` (metres on the
ellipsoid, to the projected point) is refused with ``no_edge_nearby``.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import shapely
from pyproj import Geod

from routing.errors import NoEdgeNearby
from routing.grid import tile_metres
from routing.traversal import polyline_visits
from spatialid.projection import lat_to_tile_y, lng_to_tile_x, tile_x_to_lng, tile_y_to_lat

INF = math.inf
TIMES_CACHE_NODES = 1_000_000
"""Heuristic tables kept by a :class:`HeuristicTables` (by goal, oldest dropped first)
while their node entries add up to at most this many."""
ORIGIN, DESTINATION = ("__origin__",), ("__destination__",)
GEOD = Geod(ellps="WGS84")


@dataclass(slots=True)
class Edge:
    """One directed usable edge with its ground voxels and time fractions in each.

    Immutable by convention; its sequences are tuples (a network holds ~10^4 edges, and
    tuples of numbers are left alone by the cyclic garbage collector)."""

    u: Any
    v: Any
    length_m: float
    speed: float
    pts: np.ndarray  # tile-space polyline (x, y)
    keys: Sequence[int]
    fa: Sequence[float]
    fb: Sequence[float]
    idx: int = -1
    """Position in ``GroundNetwork.edges`` (-1 for the temporary edges of a query)."""
    seconds: float = field(init=False)
    """Traversal time."""
    offsets: tuple[tuple[int, float, float], ...] = field(init=False)
    """``(voxel key, seconds after departure it is entered, ... left)``."""

    def __post_init__(self) -> None:
        s = self.seconds = self.length_m / self.speed
        self.offsets = tuple(
            (k, a * s, b * s) for k, a, b in zip(self.keys, self.fa, self.fb, strict=True)
        )


class GroundNetwork:
    """A road/sidewalk graph prepared for one vehicle kind at one zoom."""

    def __init__(
        self, graph: nx.Graph, *, kind: str = "robot", zoom: int = 23, max_speed_mps: float = INF
    ) -> None:
        self.z = zoom
        self.pos: dict[Any, tuple[float, float]] = {
            n: (float(lng_to_tile_x(d["lng"], zoom)), float(lat_to_tile_y(d["lat"], zoom)))
            for n, d in graph.nodes(data=True)
        }
        ys = [p[1] for p in self.pos.values()] or [0.0]
        self.tile_m = tile_metres(zoom, (min(ys) + max(ys)) / 2.0)
        self.out: dict[Any, list[Edge]] = {}
        self.edges: list[Edge] = []
        pairs = graph.edges(data=True)
        if not graph.is_directed():
            pairs = [*pairs, *((v, u, d) for u, v, d in graph.edges(data=True))]
        for u, v, d in pairs:
            speed = d["speeds"].get(kind) if "speeds" in d else d.get("speed_mps")
            if not speed or speed <= 0:
                continue
            pts = np.array([self.pos[u], self.pos[v]])
            e = self.make_edge(u, v, float(d["length_m"]), min(float(speed), max_speed_mps), pts)
            e.idx = len(self.edges)
            self.out.setdefault(u, []).append(e)
            self.edges.append(e)
        self.max_speed = max((e.speed for e in self.edges), default=1.0)
        self.into: dict[Any, list[tuple[Any, float]]] = {}
        for e in self.edges:
            self.into.setdefault(e.v, []).append((e.u, e.seconds))
        self._names: list[Any] = list(self.pos)
        self._ids: dict[Any, int] = {n: i for i, n in enumerate(self._names)}
        self._into_i: list[list[tuple[int, float]]] = [[] for _ in self._names]
        for e in self.edges:  # ``into`` by node index, for ``times_to``
            self._into_i[self._ids[e.v]].append((self._ids[e.u], e.seconds))
        by_voxel: dict[int, list[tuple[int, float, float]]] = {}
        for e in self.edges:
            for k, da, db in e.offsets:
                by_voxel.setdefault(k, []).append((e.idx, da, db))
        self.by_voxel: dict[int, tuple[tuple[int, float, float], ...]] = {
            k: tuple(v) for k, v in by_voxel.items()
        }
        """Voxel key -> ``(edge index, seconds after departure entered, ... left)`` of
        every edge through it (static; shared by every ``EdgeIndex`` of the network)."""
        self.tree = shapely.STRtree([shapely.LineString(e.pts) for e in self.edges])

    def make_edge(self, u: Any, v: Any, length_m: float, speed: float, pts: np.ndarray) -> Edge:
        """An :class:`Edge` with its voxels (f = 0) and the time fraction spent in each."""
        p3 = np.column_stack([pts, np.full(len(pts), 0.5)])
        seg = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
        frac = seg / seg[-1] if seg[-1] > 0 else np.linspace(0.0, 1.0, len(pts))
        cells, fa, fb = polyline_visits(p3, frac)
        keys = tuple(x << 32 | y for x, y in cells[:, :2].tolist())
        return Edge(u, v, length_m, speed, pts, keys, tuple(fa.tolist()), tuple(fb.tolist()))

    def snap(
        self, lng: float, lat: float, max_m: float = INF, end: str = "origin"
    ) -> tuple[Edge, float]:
        """The nearest usable edge and the fraction along it of the projected point.

        Raises ``NoEdgeNearby`` (naming ``end``) when the network has no usable edge or
        the point is more than ``max_m`` metres from the nearest one."""
        if not self.edges:
            raise NoEdgeNearby(
                "the network has no usable edge",
                field=end,
                max_distance_m=None if max_m == INF else max_m,
            )
        p = shapely.Point(float(lng_to_tile_x(lng, self.z)), float(lat_to_tile_y(lat, self.z)))
        i = int(self.tree.nearest(p))
        line = shapely.LineString(self.edges[i].pts)
        frac = float(line.project(p, normalized=True))
        if max_m < INF:
            q = line.interpolate(frac, normalized=True)
            qlng, qlat = float(tile_x_to_lng(q.x, self.z)), float(tile_y_to_lat(q.y, self.z))
            metres = float(GEOD.inv(lng, lat, qlng, qlat)[2])
            if metres > max_m:
                raise NoEdgeNearby(
                    f"the {end} is {metres:.1f} m from the nearest usable road "
                    f"(at most {max_m:g} m)",
                    field=end,
                    distance_m=metres,
                    max_distance_m=max_m,
                )
        return self.edges[i], frac

    def times_to(
        self, seeds: dict[Any, float], stop: Any = None, slack: float = 1.5
    ) -> tuple[dict[Any, float], float]:
        """Free-flow seconds to a target reached from ``seeds`` (node -> seconds still to
        go): a backward Dijkstra, the ground search's static heuristic (reservations only
        ever add waiting). It stops once ``stop`` is settled and the frontier passes
        ``slack`` times its distance; nodes not settled are at least the returned
        frontier distance away (so ``dist.get(n, frontier)`` stays consistent).

        A fresh table each call (the network keeps no per-query state); it also maps
        ``ORIGIN`` and ``DESTINATION`` to 0, a query's own end points.
        :class:`HeuristicTables` reuses tables across the plans of one planner."""
        out = self._times_to(seeds, stop, slack)
        out[0][ORIGIN] = out[0][DESTINATION] = 0.0
        return out

    def _times_to(
        self, seeds: dict[Any, float], stop: Any, slack: float
    ) -> tuple[dict[Any, float], float]:
        ids = self._ids
        names = self._names
        into = self._into_i
        n_all = len(names)
        dist = [INF] * n_all
        heap: list[tuple[float, int]] = []
        for n, d in seeds.items():  # seeds are network nodes
            i = ids[n]
            if d < dist[i]:
                dist[i] = d
                heap.append((d, i))
        heapq.heapify(heap)
        stop_i = ids.get(stop, -1) if stop is not None else -1
        limit = INF
        settled: dict[Any, float] = {}
        done = [False] * n_all
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            d, i = pop(heap)
            if done[i]:
                continue
            if d > limit:
                return settled, d
            done[i] = True
            settled[names[i]] = d
            if i == stop_i:
                limit = d * slack
            for u, secs in into[i]:
                nd = d + secs
                if nd < dist[u]:
                    dist[u] = nd
                    push(heap, (nd, u))
        return settled, INF

    def reverse(self, e: Edge) -> Edge | None:
        """The edge ``e.v -> e.u`` if the network has it."""
        return next((r for r in self.out.get(e.v, []) if r.v == e.u), None)

    def at_node(self, e: Edge, n: Any, u: Any, v: Any) -> Edge:
        """A zero-length edge ``u -> v`` at node ``n`` (an end of ``e``)."""
        i = 0 if n == e.u else -1
        pt = e.pts[i]
        return Edge(u, v, 0.0, e.speed, np.array([pt, pt]), (e.keys[i],), (0.0,), (1.0,))

    def split(self, e: Edge, frac: float, node: Any, *, into: bool) -> Edge:
        """The part of ``e`` from ``node`` (at ``frac``) to ``e.v``, or from ``e.u`` into it."""
        whole = frac <= 0.0 if not into else frac >= 1.0
        empty = frac >= 1.0 if not into else frac <= 0.0
        if whole:  # the whole street: reuse its voxels
            u, v = (e.u, node) if into else (node, e.v)
            return Edge(u, v, e.length_m, e.speed, e.pts, e.keys, e.fa, e.fb)
        if empty:  # a point at one end of the street
            end = e.pts[0] if into else e.pts[-1]
            k = e.keys[0] if into else e.keys[-1]
            u, v = (e.u, node) if into else (node, e.v)
            return Edge(u, v, 0.0, e.speed, np.array([end, end]), (k,), (0.0,), (1.0,))
        line = shapely.LineString(e.pts)
        mid = np.array(line.interpolate(frac, normalized=True).coords[0])
        if into:
            return self.make_edge(e.u, node, e.length_m * frac, e.speed, np.array([e.pts[0], mid]))
        return self.make_edge(
            node, e.v, e.length_m * (1 - frac), e.speed, np.array([mid, e.pts[-1]])
        )


class HeuristicTables:
    """Heuristic tables of one network by goal, reused across plans: a robot with the
    same goal reuses the table when it settled that robot's origin too.

    Safe across threads (the map is read and changed under a lock; a table is computed
    outside it, so two plans that miss at once may both compute it, the last one stays).
    Callers must not modify a returned table. At most ``max_nodes`` node entries are kept,
    the oldest goal first out."""

    def __init__(self, network: GroundNetwork, max_nodes: int = TIMES_CACHE_NODES) -> None:
        self.net = network
        self.max_nodes = max_nodes
        self._tables: dict[Any, tuple[dict[Any, float], float]] = {}
        self._nodes = 0
        self._lock = threading.Lock()

    def times_to(
        self, seeds: dict[Any, float], stop: Any = None, slack: float = 1.5
    ) -> tuple[dict[Any, float], float]:
        """:meth:`GroundNetwork.times_to`, from the kept table of ``seeds`` when it
        reached ``stop``."""
        key = (tuple(sorted(seeds.items(), key=repr)), slack)
        with self._lock:
            hit = self._tables.get(key)
        if hit is not None and (stop is None or stop in hit[0] or hit[1] == INF):
            return hit  # same goal, and it reached this origin: reuse (read-only)
        out = self.net.times_to(seeds, stop, slack)
        with self._lock:
            old = self._tables.pop(key, None)
            if old is not None:
                self._nodes -= len(old[0])
            self._tables[key] = out
            self._nodes += len(out[0])
            while self._nodes > self.max_nodes and len(self._tables) > 1:
                self._nodes -= len(self._tables.pop(next(iter(self._tables)))[0])
        return out

    def __len__(self) -> int:
        with self._lock:
            return len(self._tables)
