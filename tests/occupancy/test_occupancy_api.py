"""Occupancy over HTTP: counts and kinds, time filtering, owners by role, aggregation."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.conftest import Key
from tests.occupancy.helpers import bbox, cells, occupancy, ok, spot
from tests.reservations.helpers import created, ids, reserve, square, tile_corner, volume, window


def _area(x: int, y: int, tiles: int = 2) -> dict[str, object]:
    """A square polygon over ``tiles`` x ``tiles`` z20 tiles from (x, y)."""
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20 * tiles
    return square(lng + 1e-6, lat - d + 1e-6, d - 2e-6)


def test_reservation_voxels_counted_and_time_filtered(
    client: httpx.Client, operator_key: Key
) -> None:
    x, y = spot()
    w1, w2 = window(1, 1), window(2, 1)
    created(reserve(client, operator_key, volume(ids(x, y, 3, f=1), w1)))
    created(reserve(client, operator_key, volume(ids(x, y, 1, f=1), w2)))  # same voxel later
    box = bbox(x, y, 4, 1)
    both = ok(occupancy(client, operator_key, bbox=box, time_start=w1[0], time_end=w2[1]))
    got = cells(both)
    assert set(got) == {f"20/1/{x + k}/{y}" for k in range(3)}
    assert got[f"20/1/{x}/{y}"]["count"] == 2
    assert got[f"20/1/{x + 1}/{y}"]["kinds"] == {"reservation": 1, "restriction": 0, "obstacle": 0}
    assert both["totals"]["reservation"] == 2 and both["count"] == 3
    assert both["region_voxels"] == 4 * 5  # 4 columns x f 0..4 (0-150 m at 32 m)
    later = ok(occupancy(client, operator_key, bbox=box, time_start=w2[0], time_end=w2[1]))
    assert set(cells(later)) == {f"20/1/{x}/{y}"}
    before = window(-5, 1)
    none = ok(occupancy(client, operator_key, bbox=box, time_start=before[0], time_end=before[1]))
    assert none["cells"] == [] and none["totals"]["reservation"] == 0
    low = ok(occupancy(client, operator_key, bbox=box, time_start=w1[0], alt_upper=30))
    assert low["cells"] == []  # below the reserved band (32-64 m)


def test_restrictions_and_obstacles_are_kinds(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key, operator_key: Key
) -> None:
    town = make_key("municipality")
    x, y = spot()
    w = window(1, 1)
    body = {
        "geometry": _area(x, y),
        "altitude_lower": 0,
        "altitude_upper": 60,
        "reason": "festival",
        "zoom": 20,
        "time_start": w[0],
        "time_end": w[1],
    }
    assert client.post("/v1/restrictions", headers=town.headers, json=body).status_code == 201
    obs = {"geometry": _area(x + 2, y, 1), "height_m": 40, "zoom": 20, "name": "tower"}
    assert client.post("/v1/obstacles", headers=admin_key.headers, json=obs).status_code == 201
    created(reserve(client, operator_key, volume(ids(x, y, 1, f=3), w)))
    got = ok(occupancy(client, operator_key, bbox=bbox(x, y, 3, 2), time_start=w[0]))
    c = cells(got)
    assert c[f"20/0/{x}/{y}"]["kinds"]["restriction"] == 1
    assert c[f"20/1/{x + 1}/{y + 1}"]["kinds"]["restriction"] == 1
    assert f"20/2/{x}/{y}" not in c  # 64 m and up: above the restriction's band
    assert c[f"20/1/{x + 2}/{y}"]["kinds"] == {"reservation": 0, "restriction": 0, "obstacle": 1}
    assert c[f"20/3/{x}/{y}"]["kinds"]["reservation"] == 1
    assert got["totals"] == {"reservation": 1, "restriction": 1, "obstacle": 1}
    later = window(30, 1)
    gone = ok(occupancy(client, operator_key, bbox=bbox(x, y, 3, 2), time_start=later[0]))
    assert gone["totals"] == {"reservation": 0, "restriction": 0, "obstacle": 1}  # permanent


def test_owners_only_for_municipality_and_admin(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key, operator_key: Key
) -> None:
    x, y = spot()
    w = window(1, 1)
    res = created(reserve(client, operator_key, volume(ids(x, y, 1, f=1), w)))
    params = {"bbox": bbox(x, y), "time_start": w[0]}
    for key in (make_key("municipality"), admin_key):
        (cell,) = ok(occupancy(client, key, **params))["cells"]
        assert cell["owners"] == [
            {
                "kind": "reservation",
                "id": res["id"],
                "operator_id": str(operator_key.operator_id),
                "operator_name": cell["owners"][0]["operator_name"],
            }
        ]
        assert cell["owners"][0]["operator_name"].startswith("op-")
    for key in (make_key("operator"), make_key("fleet"), operator_key):
        r = occupancy(client, key, **params)
        (cell,) = ok(r)["cells"]
        assert cell["owners"] is None and cell["count"] == 1
        assert res["id"] not in r.text and str(operator_key.operator_id) not in r.text


def test_aggregate_zoom_and_h3(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    w = window(1, 1)
    created(reserve(client, operator_key, volume(ids(x, y, 4, f=1), w)))
    created(reserve(client, operator_key, volume([f"20/0/{x + 1}/{y + 1}"], w)))
    params = {"bbox": bbox(x, y, 4, 4), "time_start": w[0]}
    coarse = ok(occupancy(client, operator_key, aggregate="zoom:18", **params))
    assert coarse["aggregate"] == "zoom:18"
    assert {c["id"]: c["count"] for c in coarse["cells"]} == {
        f"18/0/{x >> 2}/{y >> 2}": 2,
    }  # both reservations meet the one z18 voxel; each counted once
    hexes = ok(occupancy(client, operator_key, aggregate="h3:7", **params))
    assert hexes["aggregate"] == "h3:7"
    assert sum(c["count"] for c in hexes["cells"]) >= 2
    assert all(len(c["id"]) == 15 for c in hexes["cells"])
    fine = ok(occupancy(client, operator_key, aggregate="h3:15", **params))
    assert len(fine["cells"]) >= 4


def test_post_query_polygon_and_ids(client: httpx.Client, operator_key: Key) -> None:
    x, y = spot()
    w = window(1, 1)
    created(reserve(client, operator_key, volume(ids(x, y, 2, f=1), w)))
    body = {
        "geometry": _area(x, y, 1),
        "alt_lower": 0,
        "alt_upper": 100,
        "time_start": w[0],
        "time_end": w[1],
        "zoom": 20,
    }
    r = client.post("/v1/occupancy/query", headers=operator_key.headers, json=body)
    assert set(cells(ok(r))) == {f"20/1/{x}/{y}"}
    sid = {
        "spatial_ids": [f"21/2/{2 * x + 3}/{2 * y}", f"19/0/{x >> 1}/{y >> 1}"],
        "time_start": w[0],
        "zoom": 20,
    }
    r = client.post("/v1/occupancy/query", headers=operator_key.headers, json=sid)
    got = ok(r)
    assert set(cells(got)) == {f"20/1/{x}/{y}", f"20/1/{x + 1}/{y}"}
    assert got["region_voxels"] == 8  # the z21 ID lies inside the z19 one
