"""Robot routes on the imported Helsinki road graph: one route, and a fleet with no conflicts."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import networkx as nx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.services.roads import load_graph
from tests.conftest import Key, unique
from tests.importers.conftest import import_osm
from tests.routes.helpers import overlapping_pairs, route_windows_overlap, stored_hits, vehicle


@pytest.fixture(scope="module")
def helsinki(db_sessions: sessionmaker[Session]) -> str:
    """A source with the Helsinki roads (an import of this run is reused, else one import)."""
    with session_scope(db_sessions) as s:
        found = s.scalar(
            text("SELECT source FROM road_edges WHERE source LIKE 'osm-helsinki-%' LIMIT 1")
        )
    return str(found) if found else import_osm(db_sessions, unique("osm-helsinki")).source


@pytest.fixture(scope="module")
def nodes(helsinki: str, db_sessions: sessionmaker[Session]) -> list[tuple[float, float]]:
    """(lng, lat) of the nodes of the largest connected part of the walk graph."""
    with session_scope(db_sessions) as s:
        g = load_graph(session=s, source=helsinki, mode="walk")
    part = max(nx.weakly_connected_components(g), key=len)
    return [(g.nodes[n]["lng"], g.nodes[n]["lat"]) for n in sorted(part)]


def pair(
    nodes: list[tuple[float, float]], rng: random.Random
) -> tuple[dict[str, float], dict[str, float]]:
    """Two nodes 200-600 m apart (roughly)."""
    while True:
        a, b = rng.sample(nodes, 2)
        d = ((a[0] - b[0]) * 55_600) ** 2 + ((a[1] - b[1]) * 111_300) ** 2
        if 200**2 < d < 600**2:
            return {"lng": a[0], "lat": a[1], "alt": 0}, {"lng": b[0], "lat": b[1], "alt": 0}


def depart(hours: float) -> str:
    """A departure ``hours`` from now (distinct per test, so tests do not meet)."""
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)).isoformat()


def test_robot_route_on_the_road_graph(
    client: httpx.Client,
    make_key: Callable[..., Key],
    helsinki: str,
    nodes: list[tuple[float, float]],
    db_sessions: sessionmaker[Session],
) -> None:
    key = make_key("fleet")
    vid = vehicle(client, key.headers, kind="robot")
    o, d = pair(nodes, random.Random(1))
    r = client.post(
        "/v1/routes",
        headers=key.headers,
        json={
            "vehicle_id": vid,
            "origin": o,
            "destination": d,
            "departure_time": depart(3),
            "reserve": True,
            "source": helsinki,
        },
    )
    assert r.status_code == 201, r.text
    route = r.json()["route"]
    assert route["planner"] == "ground" and route["source"] == helsinki
    assert all(s["id"].startswith("23/0/") for s in route["spatial_ids"])
    assert route["length_m"] > 150
    rid = r.json()["reservation"]["id"]
    ids = route["spatial_ids"]
    with session_scope(db_sessions) as s:  # every voxel reserved, those beside buildings too
        reserved = stored_hits(s, ids, "reservation_boxes", f"b.reservation_id = '{rid}'")
        beside = stored_hits(s, ids, "blocker_boxes", "b.obstacle_id IS NOT NULL")
    assert reserved == len(ids)
    assert beside > 0  # the route does pass voxels it shares with buildings


def test_fleet_of_robots_has_no_conflicts(
    client: httpx.Client,
    make_key: Callable[..., Key],
    helsinki: str,
    nodes: list[tuple[float, float]],
    db_sessions: sessionmaker[Session],
) -> None:
    key: Key = make_key("fleet")
    rng = random.Random(2)
    t = depart(5)
    requests = []
    for _ in range(6):
        o, d = pair(nodes, rng)
        requests.append(
            {
                "vehicle_id": vehicle(client, key.headers, kind="robot"),
                "origin": o,
                "destination": d,
                "departure_time": t,
                "reserve": True,
                "source": helsinki,
            }
        )
    first = requests[0]
    requests[1]["origin"], requests[1]["destination"] = first["destination"], first["origin"]
    r = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["index"] for x in results] == list(range(6))
    served = [x for x in results if x["ok"]]
    assert len(served) >= 5, results
    for i, x in enumerate(served):
        for y in served[i + 1 :]:
            assert route_windows_overlap(x["route"]["spatial_ids"], y["route"]["spatial_ids"]) == 0
    with session_scope(db_sessions) as s:
        assert overlapping_pairs(s, [x["reservation"]["id"] for x in served]) == 0
