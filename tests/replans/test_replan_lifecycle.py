"""The rest of a proposal's life: a newer cause supersedes it, lifting the restriction that
caused it withdraws it, and a reservation that cannot be planned around gets a failed one
that says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.replans.helpers import proposal_of, tile_box
from tests.reservations.helpers import tile_corner
from tests.telemetry.helpers import flight


def _close(client: httpx.Client, town: Key, x: int, y: int) -> str:
    """Close z20 tile (x, y) from the ground to 100 m; the restriction's id."""
    body = {
        "geometry": tile_box(x, y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": "closed",
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _replans(client: httpx.Client, key: Key, rid: str) -> list[dict[str, Any]]:
    r = client.get("/v1/replans", params={"reservation_id": rid}, headers=key.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_reservation_whose_destination_is_closed_gets_a_failed_proposal(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, town = make_key("operator"), make_key("municipality")
    fl = flight(client, me)
    _close(client, town, fl.x + 2, fl.y)  # the last voxel: where the flight ends
    p = proposal_of(client, me, fl.reservation["id"])
    assert p["state"] == "failed", p
    assert "destination_blocked" in p["detail"]
    items, _ = drain(client, me)
    assert any(e["type"] == "kukan.replan.failed" and e["subject"] == p["id"] for e in items)


def test_lifting_the_restriction_withdraws_its_proposal(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, town = make_key("operator"), make_key("municipality")
    fl = flight(client, me)
    rid = fl.reservation["id"]
    cut = _close(client, town, fl.x + 1, fl.y)
    p = proposal_of(client, me, rid)
    assert p["state"] == "pending", p
    r = client.delete(f"/v1/restrictions/{cut}", headers=town.headers)
    assert r.status_code == 200, r.text
    after = client.get(f"/v1/replans/{p['id']}", headers=me.headers).json()
    assert after["state"] == "withdrawn" and "lifted" in after["detail"]
    again = client.post(f"/v1/replans/{p['id']}/accept", headers=me.headers)
    assert again.status_code == 409


def test_a_second_cut_supersedes_the_pending_proposal(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    me, town = make_key("operator"), make_key("municipality")
    fl = flight(client, me)
    rid = fl.reservation["id"]
    _close(client, town, fl.x + 1, fl.y)
    first = proposal_of(client, me, rid)
    assert first["state"] == "pending", first
    # the reservation's first voxel, at the top of the band: it meets the reservation again
    (w, n), (e, s) = tile_corner(fl.x, fl.y), tile_corner(fl.x + 1, fl.y + 1)
    body = {
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [w + 1e-7, s + 1e-7],
                    [e - 1e-7, s + 1e-7],
                    [e - 1e-7, n - 1e-7],
                    [w + 1e-7, n - 1e-7],
                    [w + 1e-7, s + 1e-7],
                ]
            ],
        },
        "altitude_lower": 60,
        "altitude_upper": 64,
        "reason": "crane",
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201 and r.json()["affected_reservations"] == [rid], r.text
    gone = client.get(f"/v1/replans/{first['id']}", headers=me.headers).json()
    assert gone["state"] == "superseded"
    latest = proposal_of(client, me, rid)
    assert latest["id"] != first["id"] and latest["state"] in ("pending", "failed"), latest
