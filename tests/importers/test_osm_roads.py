"""The road graph: connected where the extract is, one-way streets, access tags, IDs."""

from __future__ import annotations

import math

import networkx as nx
import osmium
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.importers.parsers.road_rules import access, oneway, parse_maxspeed
from registry.services.roads import load_graph
from tests.importers.conftest import PBF, Imported


def _graph(factory: sessionmaker[Session], source: str, mode: str) -> nx.MultiDiGraph:
    with session_scope(factory) as session:
        return load_graph(session=session, source=source, mode=mode)


def _nearest(graph: nx.MultiDiGraph, lng: float, lat: float) -> int:
    def dist(n: int) -> float:
        d = graph.nodes[n]
        return math.hypot((d["lng"] - lng) * math.cos(math.radians(lat)), d["lat"] - lat)

    return min(graph.nodes, key=dist)


def _way_tags(way_id: int) -> dict[str, str]:
    for obj in osmium.FileProcessor(str(PBF), osmium.osm.WAY):
        if obj.id == way_id:
            return dict(obj.tags)
    raise AssertionError(f"way {way_id} not in the extract")


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_graph_is_connected_where_the_extract_is(
    helsinki: Imported, db_sessions: sessionmaker[Session], mode: str
) -> None:
    graph = _graph(db_sessions, helsinki.source, mode)
    largest = max(nx.weakly_connected_components(graph), key=len)
    assert graph.number_of_nodes() > (1000 if mode == "walk" else 500)
    assert len(largest) / graph.number_of_nodes() > 0.9
    # Railway station square -> Market Square: a route exists, and it is a few hundred metres.
    a, b = _nearest(graph, 24.9414, 60.1712), _nearest(graph, 24.9526, 60.1675)
    length = nx.shortest_path_length(graph, a, b, weight="length_m")
    assert 700 < length < 2500


def test_one_way_streets_drive_one_way_and_walk_both(
    helsinki: Imported, db_sessions: sessionmaker[Session]
) -> None:
    drive = _graph(db_sessions, helsinki.source, "drive")
    walk = _graph(db_sessions, helsinki.source, "walk")
    assert oneway(_way_tags(14472962)) == 1  # Kaivokatu, oneway=yes
    with session_scope(db_sessions) as session:
        rows = session.execute(
            text(
                """SELECT id, from_node, to_node, drive_forward, drive_backward, walk
                FROM road_edges WHERE source = :s AND way_ref = 14472962"""
            ),
            {"s": helsinki.source},
        ).all()
    assert rows
    for edge_id, u, v, fwd, bwd, _ in rows:
        assert (fwd, bwd) == (True, False)
        assert drive.has_edge(u, v, edge_id) and not drive.has_edge(v, u, -edge_id)
        assert drive.edges[u, v, edge_id]["oneway"] is True
    two_way = sum(1 for _, _, k in drive.edges(keys=True) if k < 0)
    assert two_way > 100  # most streets still go both ways
    for edge_id, u, v, _, _, walkable in rows:
        if walkable:
            assert walk.has_edge(u, v, edge_id) and walk.has_edge(v, u, -edge_id)


def test_access_tags_close_ways(helsinki: Imported, db_sessions: sessionmaker[Session]) -> None:
    tags = _way_tags(23259342)  # a cycleway tagged foot=no
    assert tags.get("foot") == "no" and access(tags, 1.4) is None
    with session_scope(db_sessions) as session:
        n = session.scalar(
            text("SELECT count(*) FROM road_edges WHERE source = :s AND way_ref = 23259342"),
            {"s": helsinki.source},
        )
        private = session.scalar(
            text("""SELECT count(*) FROM road_edges WHERE source = :s AND way_ref = 8061216"""),
            {"s": helsinki.source},
        )
    assert n == 0 and private == 0  # 8061216: a service road with access=no


def test_rules() -> None:
    assert parse_maxspeed("50") == 50 and parse_maxspeed("FI:urban") == 50
    assert parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed("signals") is None
    assert oneway({"highway": "primary", "junction": "roundabout"}) == 1
    assert oneway({"highway": "primary", "oneway": "-1"}) == -1
    assert oneway({"highway": "motorway", "oneway": "no"}) == 0
    road = access({"highway": "residential", "motor_vehicle": "no"}, 1.4)
    assert road is not None and road.walk and not road.drive_forward
    assert access({"highway": "footway", "access": "private"}, 1.4) is None
    fast = access({"highway": "primary", "maxspeed": "60"}, 1.4)
    assert fast is not None and fast.drive_speed_mps == pytest.approx(60 / 3.6)
    assert access({"highway": "motorway"}, 1.4).walk is False  # type: ignore[union-attr]


def test_edges_and_nodes_carry_ground_ids(
    helsinki: Imported, db_sessions: sessionmaker[Session]
) -> None:
    graph = _graph(db_sessions, helsinki.source, "walk")
    u, _, data = next(iter(graph.edges(data=True)))
    assert graph.nodes[u]["spatial_id"].startswith("23/0/")
    assert data["spatial_ids"] and all(s.startswith("23/0/") for s in data["spatial_ids"])
    assert graph.nodes[u]["spatial_id"] in data["spatial_ids"]
    assert data["length_m"] > 0 and data["travel_time_s"] == data["length_m"] / 1.4
