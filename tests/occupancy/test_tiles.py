"""Vector tiles: a tile over a reservation decodes, elsewhere empty; owners by role; auth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.occupancy.helpers import spot
from tests.reservations.helpers import created, ids, reserve, square, tile_corner, volume, window

MVT = "application/vnd.mapbox-vector-tile"


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[i]
        out |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if b < 0x80:
            return out, i


def _fields(buf: bytes) -> list[tuple[int, Any]]:
    """Top-level (field number, value) pairs of a protobuf message (varint/bytes only)."""
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        wire = key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i : i + n], i + n
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            assert wire == 1, f"unexpected wire type {wire}"
            value, i = buf[i : i + 8], i + 8
        out.append((key >> 3, value))
    return out


def layers(body: bytes) -> dict[str, dict[str, Any]]:
    """MVT layers by name: feature count and attribute keys (Tile.layers = 3)."""
    out = {}
    for num, raw in _fields(body):
        assert num == 3
        fields = _fields(raw)
        name = next(v for n, v in fields if n == 1).decode()
        keys = {v.decode() for n, v in fields if n == 3}
        out[name] = {"features": sum(1 for n, _ in fields if n == 2), "keys": keys}
    return out


def _tile(x20: int, y20: int, z: int = 16) -> str:
    """Path suffix of the z-tile holding z20 tile (x20, y20)."""
    k = 20 - z
    return f"{z}/{x20 >> k}/{y20 >> k}.mvt"


def test_reservation_tile_decodes_and_elsewhere_is_empty(
    client: httpx.Client, operator_key: Key, make_key: Callable[..., Key]
) -> None:
    x, y = spot()
    w = window(1, 1)
    res = created(reserve(client, operator_key, volume(ids(x, y, 2, f=1), w)))
    path = f"/v1/tiles/reservations/{_tile(x, y)}"
    r = client.get(path, headers=operator_key.headers, params={"time": w[0]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == MVT and b"reservations" in r.content
    layer = layers(r.content)["reservations"]
    assert layer["features"] >= 1
    assert {"kind", "time_start", "time_end", "altitude_lower", "altitude_upper"} <= layer["keys"]
    assert "operator_id" not in layer["keys"] and res["id"].encode() not in r.content
    town = make_key("municipality")
    r = client.get(path, headers=town.headers, params={"time": w[0]})
    assert {"id", "operator_id", "operator_name"} <= layers(r.content)["reservations"]["keys"]
    assert res["id"].encode() in r.content
    now = client.get(path, headers=operator_key.headers)  # default time: now, before it
    assert now.status_code == 204 and now.content == b""
    far = f"/v1/tiles/reservations/{_tile(900_000, y)}"  # no test reserves there
    r = client.get(far, headers=operator_key.headers, params={"time": w[0]})
    assert r.status_code == 204 and r.content == b""


def test_restriction_and_obstacle_layers(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    x, y = spot()
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20
    area = square(lng + 1e-6, lat - d, d - 2e-6)
    town = make_key("municipality")
    body = {"geometry": area, "altitude_lower": 0, "altitude_upper": 50, "reason": "parade"}
    assert client.post("/v1/restrictions", headers=town.headers, json=body).status_code == 201
    obs = {"geometry": area, "height_m": 30, "name": "mast-in-tile"}
    assert client.post("/v1/obstacles", headers=admin_key.headers, json=obs).status_code == 201
    for layer, word in (("restrictions", b"parade"), ("obstacles", b"mast-in-tile")):
        r = client.get(f"/v1/tiles/{layer}/{_tile(x, y, 18)}", headers=town.headers)
        assert r.status_code == 200, r.text
        assert layers(r.content)[layer]["features"] >= 1 and word in r.content


def test_tile_bad_input_and_auth(client: httpx.Client, operator_key: Key) -> None:
    h = operator_key.headers
    assert client.get("/v1/tiles/reservations/3/1/1.mvt").status_code == 401
    r = client.get("/v1/tiles/people/3/1/1.mvt", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.layer"
    r = client.get("/v1/tiles/reservations/3/8/1.mvt", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "x"
    r = client.get("/v1/tiles/reservations/30/1/1.mvt", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.z"
    r = client.get("/v1/tiles/reservations/3/1/1.mvt", headers=h, params={"time": "soon"})
    assert r.status_code == 422
