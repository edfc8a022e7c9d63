"""PATCH of restrictions (reason, lift, restore) and the list filters of restrictions and
obstacles, over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.reservations.helpers import (
    conflict,
    created,
    ids,
    reserve,
    spot,
    square,
    tile_corner,
    volume,
)


def _area(x: int, y: int) -> dict[str, Any]:
    """A square inside z20 tile (x, y)."""
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20
    return square(lng + 1e-6, lat - d + 1e-6, d - 2e-6)


def _restriction(client: httpx.Client, town: Key, x: int, y: int, reason: str) -> dict[str, Any]:
    body = {
        "geometry": _area(x, y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": reason,
        "zoom": 20,
    }
    return created(client.post("/v1/restrictions", headers=town.headers, json=body))


def _all(client: httpx.Client, path: str, key: Key, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged list, following ``next``."""
    items: list[dict[str, Any]] = []
    r = client.get(path, headers=key.headers, params={**params, "limit": 2})
    while True:
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        link = r.json()["next"]
        if link is None:
            return items
        r = client.get(link, headers=key.headers)  # the link keeps the filters


def test_patch_changes_the_reason_lifts_and_restores(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    town = make_key("municipality")
    x, y = spot()
    rid = _restriction(client, town, x, y, "parade")["id"]
    path = f"/v1/restrictions/{rid}"
    r = client.patch(path, headers=town.headers, json={"reason": "  marathon "})
    assert r.status_code == 200, r.text
    assert r.json()["reason"] == "marathon" and r.json()["active"] is True
    assert client.get(path, headers=operator_key.headers).json()["reason"] == "marathon"
    refused = conflict(reserve(client, operator_key, volume(ids(x, y, 1))))
    assert "marathon" in refused["detail"]

    r = client.patch(path, headers=town.headers, json={"active": False})  # lift
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["affected_reservations"] is None
    inside = created(reserve(client, operator_key, volume(ids(x, y, 1))))  # the space is free

    r = client.patch(path, headers=town.headers, json={"active": True})  # restore
    assert r.status_code == 200 and r.json()["active"] is True
    assert r.json()["affected_reservations"] == [inside["id"]]
    got = client.get(f"/v1/reservations/{inside['id']}", headers=operator_key.headers).json()
    assert got["needs_replan"] is True and got["state"] == "accepted"
    conflict(reserve(client, operator_key, volume(ids(x, y, 1))))  # blocked again

    again = client.patch(path, headers=town.headers, json={"active": True})  # no change
    assert again.status_code == 200 and again.json()["affected_reservations"] == []


def test_patch_is_for_its_author_and_admins_and_checks_its_body(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key, operator_key: Key
) -> None:
    town, other_town = make_key("municipality"), make_key("municipality")
    x, y = spot()
    rid = _restriction(client, town, x, y, "works")["id"]
    path = f"/v1/restrictions/{rid}"
    for key in (other_town, operator_key):
        r = client.patch(path, headers=key.headers, json={"reason": "mine now"})
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.patch(path, headers=admin_key.headers, json={"reason": "by the admin"})
    assert r.status_code == 200 and r.json()["reason"] == "by the admin"
    for bad, field in (
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"active": "maybe"}, "active"),
        ({"zoom": 3}, "zoom"),
    ):
        r = client.patch(path, headers=town.headers, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert any(field in e["field"] for e in r.json()["errors"]), (bad, r.json())
    assert (
        client.patch(
            f"/v1/restrictions/{uuid.uuid4()}", headers=town.headers, json={"reason": "x"}
        ).status_code
        == 404
    )
    assert client.patch(path, json={"reason": "x"}).status_code == 401
    assert client.get(path, headers=town.headers).json()["reason"] == "by the admin"


def test_restriction_list_filters_active_and_mine(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    town, other_town = make_key("municipality"), make_key("municipality")
    x, y = spot()
    kept = _restriction(client, town, x, y, "kept")["id"]
    lifted = _restriction(client, town, x + 2, y, "lifted")["id"]
    theirs = _restriction(client, other_town, x + 4, y, "theirs")["id"]
    assert client.delete(f"/v1/restrictions/{lifted}", headers=town.headers).status_code == 200

    def listed(key: Key, **params: Any) -> list[str]:
        return [i["id"] for i in _all(client, "/v1/restrictions", key, **params)]

    assert listed(town, mine=True) == [kept, lifted]  # oldest first
    assert listed(town, mine=True, active=True) == [kept]
    assert listed(town, mine=True, active=False) == [lifted]
    assert listed(other_town, mine=True) == [theirs]
    assert listed(operator_key, mine=True) == []  # an operator declares none
    everyone_active = _all(client, "/v1/restrictions", operator_key, active=True)
    assert all(i["active"] for i in everyone_active)
    assert {kept, theirs} <= {i["id"] for i in everyone_active}
    assert lifted not in {i["id"] for i in everyone_active}
    inactive = _all(client, "/v1/restrictions", operator_key, active=False)
    assert lifted in {i["id"] for i in inactive} and not any(i["active"] for i in inactive)
    page = client.get(
        "/v1/restrictions", headers=town.headers, params={"mine": True, "limit": 1}
    ).json()
    assert [i["id"] for i in page["items"]] == [kept] and page["next"] is not None
    rest = client.get(page["next"], headers=town.headers).json()
    assert kept not in [i["id"] for i in rest["items"]]
    r = client.get("/v1/restrictions", headers=town.headers, params={"active": "sometimes"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.active"


def test_obstacle_list_filters_by_source_and_keeps_only_active(
    client: httpx.Client, admin_key: Key, operator_key: Key
) -> None:
    source, other = f"survey-{uuid.uuid4().hex[:8]}", f"survey-{uuid.uuid4().hex[:8]}"
    x, y = spot()
    made = []
    for k, src in enumerate((source, source, other)):
        body = {
            "geometry": _area(x + 2 * k, y),
            "height_m": 30,
            "source": src,
            "source_ref": f"ref-{k}",
            "name": f"mast {k}",
        }
        made.append(created(client.post("/v1/obstacles", headers=admin_key.headers, json=body)))

    def listed(**params: Any) -> list[str]:
        return [i["id"] for i in _all(client, "/v1/obstacles", operator_key, **params)]

    assert listed(source=source) == [made[0]["id"], made[1]["id"]]
    assert listed(source=other) == [made[2]["id"]]
    assert listed(source=f"none-{uuid.uuid4().hex[:8]}") == []
    got = client.get(
        "/v1/obstacles", headers=operator_key.headers, params={"source": source, "limit": 1}
    ).json()
    assert [i["source_ref"] for i in got["items"]] == ["ref-0"] and got["next"] is not None
    second = client.get(got["next"], headers=operator_key.headers).json()
    assert [i["source_ref"] for i in second["items"]] == ["ref-1"] and second["next"] is None
    assert (
        client.delete(f"/v1/obstacles/{made[0]['id']}", headers=admin_key.headers).status_code
        == 200
    )
    assert listed(source=source) == [made[1]["id"]]  # removed obstacles leave the list
    first = client.get("/v1/obstacles", headers=operator_key.headers).json()["items"]
    assert first and all(i["active"] for i in first)
