"""A NUL character (PostgreSQL cannot store it in text) is a 422, in bodies and queries."""

from __future__ import annotations

import httpx

from tests.conftest import Key


def test_nul_in_a_body_field_is_422_naming_it(client: httpx.Client, operator_key: Key) -> None:
    body = {"name": "a\x00b", "kind": "robot", "max_speed_mps": 2, "serial": "s\x00"}
    r = client.post("/v1/vehicles", headers=operator_key.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"body.name", "body.serial"}
    assert "NUL" in r.text


def test_nul_in_a_query_parameter_is_422(client: httpx.Client, operator_key: Key) -> None:
    params = {"source": "osm\x00"}  # a free-text filter that reaches the database
    r = client.get("/v1/obstacles", headers=operator_key.headers, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "cannot be stored" in r.json()["detail"]
