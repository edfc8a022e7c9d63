"""The stored ground routing graph: load one source's roads as a networkx MultiDiGraph."""

from __future__ import annotations

from typing import Any

import networkx as nx
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.importers.parsers.graph import MODES, build_graph
from registry.models import ROAD_ZOOM


def load_graph(*, session: Session, source: str, mode: str = "walk") -> nx.MultiDiGraph:
    """The ``walk`` or ``drive`` graph of an imported source.

    Nodes are ``road_nodes.id`` with ``lng``, ``lat``, ``ref`` (the OSM node id) and
    ``spatial_id`` (ground level, zoom ``ROAD_ZOOM``). Edges (key: ``road_edges.id``,
    negated for the reverse direction) carry ``length_m`` (geodesic), ``speed_mps``,
    ``travel_time_s``, ``highway``, ``name``, ``walk``, ``drive``, ``oneway``,
    ``coords`` ([lng, lat] in travel order) and ``spatial_ids``.
    """
    if mode not in MODES:
        raise InvalidInput(f"mode must be 'walk' or 'drive', not {mode!r}", field="mode")
    nodes: dict[int, dict[str, Any]] = {
        int(r.id): {"lng": r.lng, "lat": r.lat, "ref": int(r.ref), "spatial_id": r.spatial_id}
        for r in session.execute(
            text(
                """SELECT id, ref, ST_X(geometry) AS lng, ST_Y(geometry) AS lat, spatial_id
                FROM road_nodes WHERE source = :s"""
            ),
            {"s": source},
        )
    }
    flag = "walk" if mode == "walk" else "(drive_forward OR drive_backward)"
    rows = session.execute(
        text(
            f"""SELECT id, from_node AS u, to_node AS v, length_m, highway, name, walk,
                drive_forward, drive_backward, walk_speed_mps, drive_speed_mps,
                ST_AsGeoJSON(geometry)::json -> 'coordinates' AS coords, spatial_ids
            FROM road_edges WHERE source = :s AND {flag} ORDER BY id"""
        ),
        {"s": source},
    )
    graph = build_graph(nodes, (dict(r._mapping) for r in rows), mode)
    graph.graph.update(source=source, zoom=ROAD_ZOOM)
    return graph
