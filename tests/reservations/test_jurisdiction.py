"""Jurisdiction over HTTP: a municipality restricts only inside the area an admin gave it,
and sees who occupies the space only there; admins are unrestricted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.occupancy.helpers import bbox, cells, occupancy, ok
from tests.reservations.helpers import (
    created,
    ids,
    reserve,
    spot,
    square,
    tile_corner,
    volume,
    window,
)

TOKYO = square(138.9, 35.5, 1.0)
"""Roughly the Tokyo metropolis (west of 139.9 E, south of 36.5 N)."""
TOKYO_STATION = square(139.7660, 35.6800, 0.001)
HELSINKI = square(25.1400, 60.2100, 0.002)
"""In Helsinki (Vuosaari), away from the demo extract the route tests plan on."""


def _body(geometry: dict[str, Any]) -> dict[str, Any]:
    return {"geometry": geometry, "altitude_lower": 0, "altitude_upper": 100, "reason": "test"}


def _post(client: httpx.Client, key: Key, geometry: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/restrictions", headers=key.headers, json=_body(geometry))


def _refused(r: httpx.Response, words: str) -> None:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["geometry"]
    assert words in r.json()["detail"], r.json()["detail"]


def _set(client: httpx.Client, admin: Key, who: Key, geometry: Any) -> httpx.Response:
    path = f"/v1/principals/{who.principal_id}/jurisdiction"
    return client.put(path, headers=admin.headers, json={"geometry": geometry})


def test_a_tokyo_key_cannot_restrict_helsinki(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    tokyo = make_key("municipality", jurisdiction=TOKYO)
    _refused(_post(client, tokyo, HELSINKI), "not inside this municipality's jurisdiction")
    created(_post(client, tokyo, TOKYO_STATION))
    straddling = square(139.85, 35.68, 0.1)  # crosses the eastern edge at 139.9 E
    _refused(_post(client, tokyo, straddling), "not inside")
    created(_post(client, admin_key, HELSINKI))  # admins restrict anywhere


def test_without_a_jurisdiction_a_municipality_restricts_nothing(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    town = make_key("municipality", jurisdiction=None)
    _refused(_post(client, town, TOKYO_STATION), "no jurisdiction")
    assert _set(client, admin_key, town, TOKYO).status_code == 200
    rid = created(_post(client, town, TOKYO_STATION))["id"]
    assert _set(client, admin_key, town, None).json()["geometry"] is None  # cleared
    r = client.patch(f"/v1/restrictions/{rid}", headers=town.headers, json={"reason": "x"})
    _refused(r, "no jurisdiction")


def test_changes_only_inside_the_jurisdiction(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    town = make_key("municipality", jurisdiction=TOKYO)
    rid = created(_post(client, town, TOKYO_STATION))["id"]
    path = f"/v1/restrictions/{rid}"
    assert client.patch(path, headers=town.headers, json={"reason": "ok"}).status_code == 200
    assert _set(client, admin_key, town, square(135.0, 34.5, 0.5)).status_code == 200  # Osaka
    _refused(client.patch(path, headers=town.headers, json={"reason": "no"}), "not inside")
    _refused(client.delete(path, headers=town.headers), "not inside")
    assert client.get(path, headers=town.headers).json()["active"] is True  # untouched
    assert client.patch(path, headers=admin_key.headers, json={"reason": "a"}).status_code == 200
    assert client.delete(path, headers=admin_key.headers).status_code == 200


def test_only_an_admin_sets_a_jurisdiction(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key, operator_key: Key
) -> None:
    town, other = make_key("municipality", jurisdiction=TOKYO), make_key("municipality")
    path = f"/v1/principals/{town.principal_id}/jurisdiction"
    for key in (town, admin_key):
        r = client.get(path, headers=key.headers)
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["principal_id"] == str(town.principal_id)
        assert got["geometry"]["type"] == "MultiPolygon"
        assert got["geometry"]["coordinates"][0] == TOKYO["coordinates"]
    for key in (other, operator_key):
        assert client.get(path, headers=key.headers).status_code == 404
    for key in (town, other, operator_key):
        r = client.put(path, headers=key.headers, json={"geometry": HELSINKI})
        assert r.status_code == 403 and "admin" in r.json()["detail"], r.text
    assert client.put(path, json={"geometry": HELSINKI}).status_code == 401
    _refused(_post(client, town, HELSINKI), "not inside")  # nothing changed
    r = _set(client, admin_key, operator_key, TOKYO)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "geometry"
    bad = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    r = _set(client, admin_key, town, bad)  # a bow tie
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "geometry"
    point = {"type": "Point", "coordinates": [139.7, 35.6]}
    assert _set(client, admin_key, town, point).status_code == 422
    missing = "/v1/principals/00000000-0000-4000-8000-000000000000/jurisdiction"
    r = client.put(missing, headers=admin_key.headers, json={"geometry": TOKYO})
    assert r.status_code == 404
    assert _set(client, admin_key, town, HELSINKI).status_code == 200
    created(_post(client, town, HELSINKI))


def test_owners_in_occupancy_only_inside_the_jurisdiction(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    x, y = spot()
    inside = created(reserve(client, operator_key, volume(ids(x, y, 1))))
    outside = created(reserve(client, operator_key, volume(ids(x + 3, y, 1))))
    w, _ = tile_corner(x, y)
    e, s = tile_corner(x + 2, y + 1)
    town = make_key("municipality", jurisdiction=square(w, s, e - w))  # tiles x and x + 1
    params = {"bbox": bbox(x, y, 4, 1), "time_start": inside["time_start"]}
    got = cells(ok(occupancy(client, town, **params)))
    near, far = got[f"20/1/{x}/{y}"], got[f"20/1/{x + 3}/{y}"]
    assert [o["id"] for o in near["owners"]] == [inside["id"]]
    assert near["owners"][0]["operator_id"] == str(operator_key.operator_id)
    assert far["owners"] == [] and far["kinds"]["reservation"] == 1  # counted, not named
    r = occupancy(client, town, **params)
    assert outside["id"] not in r.text
    nowhere = make_key("municipality", jurisdiction=None)
    got = cells(ok(occupancy(client, nowhere, **params)))
    assert got[f"20/1/{x}/{y}"]["owners"] == [] and got[f"20/1/{x}/{y}"]["count"] == 1


def test_owner_attributes_in_tiles_only_inside_the_jurisdiction(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    from tests.occupancy.test_tiles import layers

    x, y = spot()
    w = window(1, 1)
    res = created(reserve(client, operator_key, volume(ids(x, y, 1), w)))
    path = f"/v1/tiles/reservations/16/{x >> 4}/{y >> 4}.mvt"
    lng, lat = tile_corner(x, y)
    here = make_key("municipality", jurisdiction=square(lng - 0.001, lat - 0.001, 0.002))
    elsewhere = make_key("municipality", jurisdiction=TOKYO if lng > 139.9 else HELSINKI)
    r = client.get(path, headers=here.headers, params={"time": w[0]})
    assert r.status_code == 200, r.text
    assert {"id", "operator_id"} <= layers(r.content)["reservations"]["keys"]
    assert res["id"].encode() in r.content
    r = client.get(path, headers=elsewhere.headers, params={"time": w[0]})
    assert r.status_code == 200 and layers(r.content)["reservations"]["features"] >= 1
    assert res["id"].encode() not in r.content  # the feature is drawn, its owner not named
    assert str(operator_key.operator_id).encode() not in r.content
