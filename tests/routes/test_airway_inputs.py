"""Airways from the command line, and what still blocks inside a corridor (HTTP, PostGIS)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from planning.airway_inputs import plan_on_airways
from routing.errors import SearchBudgetExceeded
from routing.occupancy import MemoryOccupancy
from routing.vehicle import VehicleLimits
from tests.conftest import Key
from tests.platform.test_cli import kukan
from tests.routes.helpers import offset, place, vehicle
from tests.routes.test_airways import cross, feature, imported, plan, square

SAMPLE = Path(__file__).parents[2] / "data" / "airways-helsinki.geojson"


def test_cli_imports_the_sample_and_names_bad_fields(database_url: str, tmp_path: Path) -> None:
    r = kukan("import", "airways", str(SAMPLE), url=database_url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "imported 5 airways" in r.stdout  # the MultiLineString is two
    a = place()
    bad = {"type": "FeatureCollection", "features": [feature([a, offset(*a, 100, 0)], width_m=-1)]}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad))
    r = kukan("import", "airways", str(path), url=database_url)
    assert r.returncode != 0 and "features[0].properties.width_m" in r.stderr


def test_a_restriction_across_the_only_corridor_blocks(
    client: httpx.Client, admin_key: Key, operator_key: Key
) -> None:
    a = place()
    imported(client, admin_key, cross(a))
    vid = vehicle(client, operator_key.headers, airways_only=True)
    ends = (offset(*a, 100, 0), offset(*a, 300, 0))
    assert plan(client, operator_key, vid, *ends).status_code == 200
    body = {
        "geometry": square(offset(*a, 200, 0), 40.0),
        "altitude_lower": 0,
        "altitude_upper": 150,
        "reason": "closed corridor",
    }
    r = client.post("/v1/restrictions", headers=admin_key.headers, json=body)
    assert r.status_code == 201, r.text
    r = plan(client, operator_key, vid, *ends)
    assert r.status_code == 422, r.text
    assert r.json()["reason"] == "no_path"
    free = plan(client, operator_key, vid, offset(*a, 300, 0), offset(*a, 500, 400))
    assert free.status_code == 200  # the way north does not pass the closure


def test_the_import_reads_json_only(client: httpx.Client, admin_key: Key) -> None:
    a = place()
    doc = json.dumps(feature([a, offset(*a, 100, 0)]))
    headers = {**admin_key.headers, "Content-Type": "text/plain"}
    r = client.post("/v1/airways", headers=headers, content=doc)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = client.post("/v1/airways", headers=admin_key.headers, content=b"{not json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = client.post("/v1/airways", headers=admin_key.headers, json=[1, 2])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "type"


def test_the_airway_search_keeps_the_wall_clock_budget(
    client: httpx.Client, admin_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    a = place()
    imported(client, admin_key, cross(a))
    o, d = offset(*a, 100, 0), offset(*a, 500, 400)
    args = {
        "occupancy": MemoryOccupancy(),
        "limits": VehicleLimits(max_speed_mps=12.0),
        "origin": (*o, 50.0),
        "destination": (*d, 60.0),
        "departure": time.time(),
        "zoom": 23,
        "max_expansions": 10**7,
    }
    with db_sessions() as session:
        with pytest.raises(SearchBudgetExceeded):
            plan_on_airways(session=session, time_budget_s=1e-9, **args)
        route = plan_on_airways(session=session, time_budget_s=30.0, **args)
    assert route.visits and route.meta["airways"] >= 2
