"""A restriction declared (or re-activated) over live reservations tells each affected
operator, and the municipality that declared it, in the restriction's own transaction."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.reservations.helpers import created, ids, reserve, spot, square, tile_corner, volume

INTERSECTS = "kukan.restriction.intersects"


def test_a_restriction_over_reservations_tells_their_operators_and_its_municipality(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    town, a, b, bystander = (
        make_key(r) for r in ("municipality", "operator", "operator", "operator")
    )
    x, y = spot()
    mine = created(reserve(client, a, volume(ids(x, y + 1, 1, f=1))))
    theirs = created(reserve(client, b, volume(ids(x + 1, y + 1, 1, f=1))))
    created(reserve(client, bystander, volume(ids(x + 40, y + 40, 1, f=1))))  # outside
    starts = {k.principal_id: drain(client, k)[1] for k in (town, a, b, bystander)}
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20 * 3
    body = {
        "geometry": square(lng + 1e-6, lat - d, d - 2e-6),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": "festival",
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert sorted(r.json()["affected_reservations"]) == sorted([mine["id"], theirs["id"]])

    def told(key: Key) -> list[dict[str, object]]:
        items, _ = drain(client, key, starts[key.principal_id])
        return [e for e in items if e["type"] == INTERSECTS]

    (to_a,) = told(a)
    assert to_a["subject"] == rid and to_a["source"] == "/v1/restrictions"
    data = to_a["data"]
    assert isinstance(data, dict)
    assert data["reservation_id"] == mine["id"] and data["reason"] == "festival"
    assert data["needs_replan"] is True and data["restriction_id"] == rid
    (to_b,) = told(b)
    assert isinstance(to_b["data"], dict) and to_b["data"]["reservation_id"] == theirs["id"]
    assert told(bystander) == []
    (to_town,) = told(town)
    assert isinstance(to_town["data"], dict) and to_town["data"]["reservations"] == 2
    assert sorted(to_town["data"]["reservation_ids"]) == sorted([mine["id"], theirs["id"]])
    # lifted and declared again: told again
    assert client.delete(f"/v1/restrictions/{rid}", headers=town.headers).status_code == 200
    r = client.patch(f"/v1/restrictions/{rid}", headers=town.headers, json={"active": True})
    assert r.status_code == 200, r.text
    assert len(told(a)) == 2 and len(told(town)) == 2
