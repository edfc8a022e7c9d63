"""Road stretches -> a networkx MultiDiGraph for one mode, and their ground spatial IDs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from spatialid import vectorized
from spatialid.lines import traverse
from spatialid.projection import alt_to_tile_f, lat_to_tile_y, lng_to_tile_x

MODES = ("walk", "drive")


def node_ids(lngs: Any, lats: Any, altitude_m: float, zoom: int) -> list[str]:
    """Spatial IDs of points at one altitude (vectorised)."""
    f, x, y = vectorized.lnglat_to_voxel(lngs, lats, np.full(len(lngs), altitude_m), zoom)
    return vectorized.format_ids(zoom, f, x, y)


def line_ids(coords: list[tuple[float, float]], altitude_m: float, zoom: int) -> list[str]:
    """Spatial IDs of the cells a polyline passes through at one altitude (sorted)."""
    c = np.asarray(coords, dtype=np.float64)
    cells = traverse(np.column_stack([lng_to_tile_x(c[:, 0], zoom), lat_to_tile_y(c[:, 1], zoom)]))
    f = int(np.floor(alt_to_tile_f(altitude_m, zoom)))
    return vectorized.format_ids(zoom, f, cells[:, 0], cells[:, 1])


def build_graph(
    nodes: Mapping[int, Mapping[str, Any]], edges: Iterable[Mapping[str, Any]], mode: str
) -> nx.MultiDiGraph:
    """The directed graph of one mode; each edge row is stored once, both directions added.

    ``nodes`` maps a node key to its attributes (``lng``, ``lat``, ``spatial_id``, ``ref``).
    An edge row has ``id``, ``u``, ``v``, ``length_m``, ``highway``, ``name``, ``walk``,
    ``drive_forward``, ``drive_backward``, ``walk_speed_mps``, ``drive_speed_mps``,
    ``coords`` and ``spatial_ids``. Walking edges go both ways; driving edges only where
    allowed (one-way streets give one direction). The edge key is the row ``id``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'walk' or 'drive', not {mode!r}")
    graph = nx.MultiDiGraph(mode=mode)
    for row in edges:
        if mode == "walk":
            ways = [True, True] if row["walk"] else [False, False]
            speed = row["walk_speed_mps"]
        else:
            ways = [row["drive_forward"], row["drive_backward"]]
            speed = row["drive_speed_mps"]
        for (u, v), ok, flip in zip(
            ((row["u"], row["v"]), (row["v"], row["u"])), ways, (1, -1), strict=True
        ):
            if not ok:
                continue
            for key in (u, v):
                if key not in graph:
                    graph.add_node(key, **nodes[key])
            graph.add_edge(
                u,
                v,
                key=row["id"] if flip == 1 else -row["id"],
                edge_id=row["id"],
                length_m=row["length_m"],
                highway=row["highway"],
                name=row["name"],
                speed_mps=speed,
                travel_time_s=row["length_m"] / speed,
                walk=row["walk"],
                drive=row["drive_forward"] or row["drive_backward"],
                oneway=row["drive_forward"] != row["drive_backward"],
                coords=list(row["coords"])[::flip],
                spatial_ids=list(row["spatial_ids"]),
            )
    return graph
