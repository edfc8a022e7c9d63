"""Reservations over HTTP: create, read, list, cancel, conflicts, zooms, times, validation."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import Key
from tests.reservations.helpers import (
    conflict,
    created,
    fields,
    ids,
    reserve,
    spot,
    volume,
    window,
)


def test_create_get_list_cancel(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    res = created(reserve(client, operator_key, volume(ids(x, y))))
    assert res["state"] == "accepted"
    assert res["version"] == 1
    assert res["priority"] == 0
    assert res["needs_replan"] is False
    assert res["volumes"][0]["spatial_ids"] == ids(x, y)
    assert res["footprint"]["type"] == "MultiPolygon"
    assert res["preempted"] == {"count": 0, "ids": []}
    path = f"/v1/reservations/{res['id']}"
    got = client.get(path, headers=operator_key.headers).json()
    assert got["id"] == res["id"] and got["volumes"] == res["volumes"]
    listed = client.get("/v1/reservations", headers=operator_key.headers).json()
    assert res["id"] in {r["id"] for r in listed["items"]}
    r = client.delete(path, headers=operator_key.headers)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    again = created(reserve(client, operator_key, volume(ids(x, y))))  # the space is free
    assert again["state"] == "accepted"


def test_overlap_is_409_with_contested_ids(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    a, b = make_key("operator"), make_key("operator")
    x, y = spot()
    w = window()
    first = created(reserve(client, a, volume(ids(x, y, 3), w)))
    for who in (a, b):
        body = conflict(reserve(client, who, volume(ids(x + 2, y, 3), w)))
        assert body["conflicts"][0]["kind"] == "reservation"
        assert body["conflicts"][0]["spatial_ids"] == [f"20/1/{x + 2}/{y}"]
        assert body["conflicts"][0]["time_start"]
        text = str(body)
        assert first["id"] not in text and str(a.principal_id) not in text
    assert str(a.operator_id) not in str(conflict(reserve(client, b, volume(ids(x, y, 1), w))))


def test_other_operator_cannot_see_it(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    a, b = make_key("operator"), make_key("operator")
    x, y = spot()
    res = created(reserve(client, a, volume(ids(x, y))))
    assert client.get(f"/v1/reservations/{res['id']}", headers=b.headers).status_code == 404
    assert client.delete(f"/v1/reservations/{res['id']}", headers=b.headers).status_code == 404
    listed = client.get("/v1/reservations", headers=b.headers).json()["items"]
    assert res["id"] not in {r["id"] for r in listed}


def test_adjacent_and_other_times_do_not_conflict(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    w = window(1, 1)
    created(reserve(client, operator_key, volume(ids(x, y, 2), w)))
    created(reserve(client, operator_key, volume(ids(x + 2, y, 2), w)))  # east neighbour
    created(reserve(client, operator_key, volume(ids(x, y + 1, 2), w)))  # south neighbour
    created(reserve(client, operator_key, volume(ids(x, y, 2, f=2), w)))  # above
    created(reserve(client, operator_key, volume(ids(x, y, 2), (w[1], window(2, 1)[1]))))


def test_mixed_zooms_compare_correctly(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    x, y = x - x % 4, y - y % 4
    w = window()
    created(reserve(client, operator_key, volume([f"22/4/{x * 4 + 5}/{y * 4 + 6}"], w)))
    parent = f"18/0/{x // 4}/{y // 4}"  # z18 f0 spans 128 m, holds z22 f=4
    body = conflict(reserve(client, operator_key, volume([parent], w)))
    assert body["conflicts"][0]["spatial_ids"] == [parent]
    created(reserve(client, operator_key, volume([f"22/4/{x * 4 + 4}/{y * 4 + 6}"], w)))
    fine = f"26/{4 * 16 + 1}/{(x * 4 + 5) * 16 + 3}/{(y * 4 + 6) * 16}"  # inside the first z22
    conflict(reserve(client, operator_key, volume([fine], w)))


def test_spatio_temporal_ids(client: httpx.Client, operator_key: Key) -> None:
    import time

    x, y = spot()
    t = int(time.time() // 3600) + 2
    res = created(reserve(client, operator_key, {"spatial_ids": [f"20/1/{x}/{y}_3600/{t}"]}))
    assert res["time_end"].startswith(
        __import__("datetime")
        .datetime.fromtimestamp((t + 1) * 3600, tz=__import__("datetime").UTC)
        .isoformat()[:19]
    )
    w = (res["time_start"], res["time_end"])
    conflict(reserve(client, operator_key, volume([f"20/1/{x}/{y}"], w)))
    created(reserve(client, operator_key, {"spatial_ids": [f"20/1/{x}/{y}_3600/{t + 1}"]}))


def test_geometry_form(client: httpx.Client, operator_key: Key) -> None:
    from tests.reservations.helpers import square, tile_corner

    x, y = spot()
    lng, lat = tile_corner(x, y)
    t0, t1 = window()
    geo = {
        "geometry": square(lng + 1e-5, lat - 1e-4, 5e-5),
        "altitude_lower": 10,
        "altitude_upper": 20,
        "zoom": 20,
        "time_start": t0,
        "time_end": t1,
    }
    res = created(reserve(client, operator_key, geo))
    assert res["volumes"][0]["geometry"]["type"] == "Polygon"
    conflict(reserve(client, operator_key, volume([f"20/0/{x}/{y}"], (t0, t1))))


def test_validation_422(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    t0, t1 = window()
    past = window(-3, 1)
    assert "volumes[0].time_end" in fields(
        reserve(client, operator_key, volume(ids(x, y), (t1, t0)))
    )
    assert "volumes[0].time_end" in fields(reserve(client, operator_key, volume(ids(x, y), past)))
    assert "volumes[0].time_end" in fields(
        reserve(client, operator_key, volume(ids(x, y), window(1, 25)))
    )
    assert "volumes[0].spatial_ids[1]" in fields(
        reserve(client, operator_key, volume([ids(x, y)[0], "20/1/x/3"]))
    )
    assert "volumes[0].spatial_ids[0]" in fields(reserve(client, operator_key, volume(["2/0/4/0"])))
    many = ids(x, y, 1)
    geo = {
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[139, 35], [139.5, 35], [139.5, 35.5], [139, 35.5], [139, 35]]],
        },
        "altitude_lower": 0,
        "altitude_upper": 100,
        "zoom": 22,
        "time_start": t0,
        "time_end": t1,
    }
    assert fields(reserve(client, operator_key, geo)) & {"volumes[0].geometry", "volumes[0]"}
    assert "volumes[0].time_start" in fields(reserve(client, operator_key, {"spatial_ids": many}))
    assert "body.priority" in fields(reserve(client, operator_key, volume(ids(x, y)), priority=101))
    assert "volumes[1]" in fields(
        reserve(client, operator_key, volume(ids(x, y), (t0, t1)), volume(ids(x, y), (t0, t1)))
    )
    r = reserve(client, operator_key, volume(ids(x, y)), surprise=1)
    assert r.status_code == 422


def test_vehicle_must_be_mine(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    a, b = make_key("operator"), make_key("operator")
    v = client.post(
        "/v1/vehicles", headers=a.headers, json={"name": "q", "kind": "drone", "max_speed_mps": 10}
    ).json()
    x, y = spot()
    assert reserve(client, b, volume(ids(x, y)), vehicle_id=v["id"]).status_code == 404
    res = created(reserve(client, a, volume(ids(x, y)), vehicle_id=v["id"]))
    assert res["vehicle_id"] == v["id"]


def test_municipality_cannot_reserve(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    x, y = spot()
    assert reserve(client, make_key("municipality"), volume(ids(x, y))).status_code == 403
    assert client.post("/v1/reservations", json={"volumes": []}).status_code == 401
