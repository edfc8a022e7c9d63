"""Hostile input: oversized, deep and degenerate bodies, absurd zooms and times -> 4xx.

How fast they are answered is for bench/, not for a functional test."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Key

YEAR_1 = "0001-01-01T00:00:00Z"
T0, T1 = "2031-05-01T10:00:00Z", "2031-05-01T10:30:00Z"
TOKYO = [139.76, 35.68]


def square(lng: float, lat: float, d: float = 0.001) -> dict[str, Any]:
    """A small square polygon."""
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    """A polygon of one ring."""
    return {"type": "Polygon", "coordinates": [ring]}


def call(
    client: httpx.Client, method: str, path: str, key: Key | None, **kw: Any
) -> httpx.Response:
    """One request: it must never answer with a 5xx."""
    headers = {**(key.headers if key else {}), **kw.pop("headers", {})}
    r = client.request(method, path, headers=headers, **kw)
    assert r.status_code < 500, f"{method} {path}: {r.status_code} {r.text[:500]}"
    return r


def assert_problem(r: httpx.Response, status: int | tuple[int, ...], field: str = "") -> None:
    """A problem+json 4xx of ``status``; when ``field`` is given, an error names it."""
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == r.status_code and body["detail"]
    if field:
        named = [e["field"] for e in body.get("errors") or []] + [body["detail"]]
        assert any(field in n for n in named), body


def cover(geometry: Any, zoom: Any = 18, **extra: Any) -> dict[str, Any]:
    """A cover request body."""
    return {"geometry": geometry, "zoom": zoom, "altitude_lower": 0, "altitude_upper": 30, **extra}


def reservation(geometry: Any, t0: Any = T0, t1: Any = T1, zoom: int = 20) -> dict[str, Any]:
    """A reservation body with one geometry volume."""
    volume = {"geometry": geometry, "altitude_lower": 0, "altitude_upper": 30, "zoom": zoom}
    return {"volumes": [{**volume, "time_start": t0, "time_end": t1}]}


def test_20_mb_body_is_413_at_once(client: httpx.Client, keys: dict[str, Key]) -> None:
    body = b'{"volumes": [' + b'{"spatial_ids": ["20/0/1/1"]},' * 700_000 + b"{}]}"
    assert len(body) > 20_000_000
    r = call(
        client,
        "POST",
        "/v1/reservations",
        keys["operator"],
        content=body,
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 413, "body")


def test_chunked_body_over_the_cap_is_413(client: httpx.Client, keys: dict[str, Key]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"volumes": ['
        for _ in range(100):
            yield b'{"spatial_ids": ["20/0/1/1"]},' * 1000
        yield b"{}]}"

    r = call(
        client,
        "POST",
        "/v1/reservations",
        keys["operator"],
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 413, "body")


def test_small_chunked_body_still_works(client: httpx.Client, keys: dict[str, Key]) -> None:
    r = call(
        client,
        "POST",
        "/v1/spatial-ids/cover",
        None,
        content=iter([b'{"geometry": ', b"1}"]),
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 422, "zoom")


def test_100k_vertex_polygon_is_rejected(client: httpx.Client, keys: dict[str, Key]) -> None:
    n = 100_000
    ring = [
        [
            TOKYO[0] + 0.01 * math.cos(2 * math.pi * k / n),
            TOKYO[1] + 0.01 * math.sin(2 * math.pi * k / n),
        ]
        for k in range(n)
    ]
    ring.append(ring[0])
    r = call(client, "POST", "/v1/spatial-ids/cover", None, json=cover(polygon(ring)))
    assert_problem(r, (413, 422))


def test_deep_nesting_is_4xx(client: httpx.Client, keys: dict[str, Key]) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    body = (
        '{"geometry": {"type": "Polygon", "coordinates": ' + deep + '}, "zoom": 18, '
        '"altitude_lower": 0, "altitude_upper": 30}'
    )
    r = call(
        client,
        "POST",
        "/v1/spatial-ids/cover",
        None,
        content=body,
        headers={"content-type": "application/json"},
    )
    assert_problem(r, (400, 422))


BOWTIE = polygon(
    [[139.76, 35.68], [139.761, 35.681], [139.761, 35.68], [139.76, 35.681], [139.76, 35.68]]
)
ZERO_AREA = polygon([[139.76, 35.68], [139.761, 35.68], [139.762, 35.68], [139.76, 35.68]])
ANTIMERIDIAN = polygon(
    [[179.999, 10.0], [-179.999, 10.0], [-179.999, 10.001], [179.999, 10.001], [179.999, 10.0]]
)
POLAR = polygon([[0, 89.9], [90, 89.9], [180, 89.9], [-90, 89.9], [0, 89.9]])
SOUTH = polygon([[0, -90], [1, -90], [1, -89.99], [0, -89.99], [0, -90]])
DEGENERATE = {
    "self-intersecting": BOWTIE,
    "zero-area": ZERO_AREA,
    "antimeridian": ANTIMERIDIAN,
    "polar": POLAR,
    "south-pole": SOUTH,
    "open-ring": polygon([[139.76, 35.68], [139.761, 35.68], [139.761, 35.681]]),
    "two-points": polygon([[139.76, 35.68], [139.76, 35.68]]),
    "empty": polygon([]),
    "strings": polygon([["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]),
    "out-of-range": polygon([[500, 35], [501, 35], [501, 36], [500, 35]]),
    "unknown-type": {"type": "Blob", "coordinates": [1, 2]},
    "not-an-object": {"type": "Point"},
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_geometry_everywhere(
    name: str, client: httpx.Client, keys: dict[str, Key]
) -> None:
    g = DEGENERATE[name]
    r = call(client, "POST", "/v1/spatial-ids/cover", None, json=cover(g))
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code == 422:
        assert_problem(r, 422, "geometry")
    r = call(client, "POST", "/v1/reservations", keys["operator"], json=reservation(g))
    assert r.status_code in (201, 409, 413, 422), r.text
    if r.status_code == 201:
        call(client, "DELETE", f"/v1/reservations/{r.json()['id']}", keys["operator"])
    else:
        assert_problem(r, (409, 413, 422))
    body = {
        "geometry": g,
        "altitude_lower": 0,
        "altitude_upper": 30,
        "reason": "fuzz",
        "time_start": T0,
        "time_end": T1,
    }
    r = call(client, "POST", "/v1/restrictions", keys["municipality"], json=body)
    assert r.status_code in (201, 413, 422), r.text
    if r.status_code == 201:
        call(client, "DELETE", f"/v1/restrictions/{r.json()['id']}", keys["municipality"])
    body = {"geometry": g, "alt_lower": 0, "alt_upper": 30, "time_start": T0, "time_end": T1}
    r = call(client, "POST", "/v1/occupancy/query", keys["municipality"], json=body)
    assert r.status_code in (200, 413, 422), r.text


@pytest.mark.parametrize("zoom", [-1, 31, 10**9, 10**30, "x", 1.5])
def test_absurd_zooms(zoom: Any, client: httpx.Client, keys: dict[str, Key]) -> None:
    r = call(client, "GET", f"/v1/spatial-ids/{zoom}/0/0/0", None)
    assert_problem(r, (404, 422))
    r = call(client, "POST", "/v1/spatial-ids/cover", None, json=cover(square(*TOKYO), zoom))
    assert_problem(r, 422, "zoom")
    r = call(
        client, "GET", f"/v1/occupancy?bbox=139.76,35.68,139.761,35.681&zoom={zoom}", keys["admin"]
    )
    assert_problem(r, 422, "zoom")
    r = call(client, "GET", f"/v1/tiles/reservations/{zoom}/0/0.mvt", keys["admin"])
    assert_problem(r, (404, 422))


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2031-05-01T10:00:00",
        "yesterday",
        "2031-13-45T99:00:00Z",
        "1e400",
        10**30,
        "2031-05-01T10:00:00+99:00",
    ],
)
def test_extreme_times(when: Any, client: httpx.Client, keys: dict[str, Key]) -> None:
    r = call(
        client,
        "POST",
        "/v1/reservations",
        keys["operator"],
        json=reservation(square(*TOKYO), t0=when),
    )
    assert_problem(r, 422, "time_")  # time_start, or time_end of a window too long
    body = {"geometry": square(*TOKYO), "time_start": when, "time_end": T1}
    r = call(client, "POST", "/v1/occupancy/query", keys["admin"], json=body)
    if r.status_code != 200 or when != YEAR_1:  # year 1 to 2031: a fair (empty) query
        assert_problem(r, 422, "time_start")
    r = call(
        client,
        "GET",
        "/v1/occupancy",
        keys["admin"],
        params={"bbox": "139.76,35.68,139.761,35.681", "time_start": str(when)},
    )
    if r.status_code != 200 or when != YEAR_1:
        assert_problem(r, 422, "time_start")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity(literal: str, client: httpx.Client, keys: dict[str, Key]) -> None:
    hdr = {"content-type": "application/json"}
    body = (
        '{"geometry": {"type": "Point", "coordinates": [139.76, 35.68]}, "zoom": 18, '
        f'"altitude_lower": {literal}, "altitude_upper": 30}}'
    )
    r = call(client, "POST", "/v1/spatial-ids/cover", None, content=body, headers=hdr)
    assert_problem(r, 422, "altitude_lower")
    body = (
        '{"geometry": {"type": "Point", "coordinates": [' + literal + ", 35.68]}, "
        '"zoom": 18, "altitude_lower": 0, "altitude_upper": 30}'
    )
    r = call(client, "POST", "/v1/spatial-ids/cover", None, content=body, headers=hdr)
    assert_problem(r, 422, "geometry")
    vol = (
        '{"volumes": [{"geometry": {"type": "Point", "coordinates": [139.76, '
        + literal
        + ']}, "altitude_lower": 0, "altitude_upper": 30, "zoom": 20, '
        f'"time_start": "{T0}", "time_end": "{T1}"}}]}}'
    )
    r = call(client, "POST", "/v1/reservations", keys["operator"], content=vol, headers=hdr)
    assert_problem(r, 422, "geometry")
    r = call(
        client,
        "POST",
        "/v1/occupancy/query",
        keys["admin"],
        headers=hdr,
        content='{"geometry": {"type": "Point", "coordinates": [1, 2]}, "alt_upper": '
        + literal
        + "}",
    )
    assert_problem(r, 422, "alt_upper")


@pytest.mark.parametrize(
    "path",
    ["/v1/vehicles", "/v1/reservations", "/v1/restrictions", "/v1/obstacles", "/v1/operators"],
)
def test_bad_cursors_and_limits(path: str, client: httpx.Client, keys: dict[str, Key]) -> None:
    for params in ({"after": "x"}, {"after": "\x00"}, {"limit": 0}, {"limit": "x"}):
        field = next(iter(params))
        assert_problem(call(client, "GET", path, keys["admin"], params=params), 422, field)
    r = call(client, "GET", path, keys["admin"], params={"limit": 10**22})
    assert r.status_code in (200, 422)  # capped at page_size_max, or refused
