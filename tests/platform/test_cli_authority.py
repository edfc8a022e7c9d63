"""``kukan grant`` and ``kukan jurisdiction``: set from the command line, seen over HTTP."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx

from tests.conftest import unique
from tests.platform.test_cli import kukan

AREA = {
    "type": "Polygon",
    "coordinates": [
        [[140.0, 40.0], [140.01, 40.0], [140.01, 40.01], [140.0, 40.01], [140.0, 40.0]]
    ],
}
"""A square of about 1 km in northern Japan, where no other test restricts anything."""


def _key(url: str, role: str, operator: str | None = None) -> tuple[str, str]:
    """A new principal's id and token."""
    args = ["keys", "create", "--role", role, "--name", unique(f"cli-{role}")]
    r = kukan(*args, *(["--operator", operator] if operator else []), url=url)
    assert r.returncode == 0, r.stderr
    principal = re.search(r"id=([0-9a-f-]{36})", r.stdout)
    assert principal is not None, r.stdout
    return principal.group(1), r.stdout.strip().splitlines()[-1]


def test_grant_sets_what_an_operator_may_book(database_url: str, live_server: str) -> None:
    name = unique("cli-grant")
    op = kukan("operators", "create", name, url=database_url).stdout.strip().splitlines()[-1]
    _, token = _key(database_url, "operator", op)
    headers = {"Authorization": f"Bearer {token}"}
    grant = httpx.get(f"{live_server}/v1/operators/{op}/grant", headers=headers)
    assert grant.json() == {"operator_id": op, "max_priority": 0, "may_preempt": False}
    r = kukan("grant", name, "--max-priority", "80", "--may-preempt", url=database_url)
    assert r.returncode == 0 and "max_priority 80, may_preempt yes" in r.stdout, r.stderr
    grant = httpx.get(f"{live_server}/v1/operators/{op}/grant", headers=headers)
    assert grant.json() == {"operator_id": op, "max_priority": 80, "may_preempt": True}
    bad = kukan("grant", name, "--max-priority", "101", url=database_url)
    assert bad.returncode == 1 and "max_priority must be 0..100" in bad.stderr
    missing = kukan("grant", str(uuid.uuid4()), "--max-priority", "1", url=database_url)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_jurisdiction_from_a_geojson_file(
    database_url: str, live_server: str, tmp_path: Path
) -> None:
    town, token = _key(database_url, "municipality")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"geometry": AREA, "altitude_lower": 0, "altitude_upper": 50, "reason": "cli"}
    refused = httpx.post(f"{live_server}/v1/restrictions", headers=headers, json=body)
    assert refused.status_code == 403, refused.text  # governs nothing yet
    path = tmp_path / "town.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": AREA}))
    r = kukan("jurisdiction", town, str(path), url=database_url)
    assert r.returncode == 0 and "governs the area given" in r.stdout, r.stderr
    made = httpx.post(f"{live_server}/v1/restrictions", headers=headers, json=body)
    assert made.status_code == 201, made.text
    assert httpx.delete(f"{live_server}/v1/restrictions/{made.json()['id']}", headers=headers)
    r = kukan("jurisdiction", town, "--clear", url=database_url)
    assert r.returncode == 0 and "governs nothing" in r.stdout, r.stderr
    again = httpx.post(f"{live_server}/v1/restrictions", headers=headers, json=body)
    assert again.status_code == 403, again.text
    path.write_text(json.dumps({"type": "Point", "coordinates": [140, 40]}))
    bad = kukan("jurisdiction", town, str(path), url=database_url)
    assert bad.returncode == 1 and "Polygon or MultiPolygon is expected" in bad.stderr
    operator, _ = _key(database_url, "admin")
    path.write_text(json.dumps(AREA))
    not_a_town = kukan("jurisdiction", operator, str(path), url=database_url)
    assert not_a_town.returncode == 1 and "only a municipality" in not_a_town.stderr
