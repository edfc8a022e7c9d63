"""Identification over HTTP: an identifier, or a voxel at an instant, resolved to the
vehicle, its operator and its reservation; municipalities only inside their jurisdiction;
every look-up on record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Key
from tests.identification.helpers import made, mark, plate, remote_id, vehicle
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

HELSINKI = square(25.14, 60.21, 0.002)


def _identify(client: httpx.Client, key: Key, **params: str) -> httpx.Response:
    return client.get("/v1/identify", headers=key.headers, params=params)


def _lookups(client: httpx.Client, key: Key, **params: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    link: str | None = "/v1/identify/lookups"
    first = True
    while link is not None:
        r = client.get(link, headers=key.headers, params={**params, "limit": 2} if first else None)
        first = False
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        link = r.json()["next"]
    return out


class Flight:
    """A drone with all three kinds of look-up in reach: its identifiers and a booked voxel."""

    def __init__(self, client: httpx.Client, owner: Key) -> None:
        self.mark, self.remote_id = mark(), remote_id()
        self.vehicle = made(
            vehicle(client, owner, registration_mark=self.mark, remote_id=self.remote_id)
        )
        self.x, self.y = spot()
        self.window = window(start_h=2)
        booked = reserve(
            client, owner, volume(ids(self.x, self.y), self.window), vehicle_id=self.vehicle["id"]
        )
        self.reservation = created(booked)
        t0 = datetime.fromisoformat(self.window[0])
        self.at = (t0 + timedelta(minutes=20)).isoformat()
        self.voxel = f"20/1/{self.x + 1}/{self.y}"

    def area(self) -> dict[str, Any]:
        """A jurisdiction around the booked voxels."""
        lng, lat = tile_corner(self.x, self.y)
        return square(lng - 0.01, lat - 0.01, 0.02)


@pytest.fixture()
def owner(make_key: Callable[..., Key]) -> Key:
    return make_key("operator")


def _matched(r: httpx.Response, flight: Flight, owner: Key) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    [m] = body["matches"]
    assert m["vehicle"]["id"] == flight.vehicle["id"]
    assert m["vehicle"]["registration_mark"] == flight.mark
    assert m["vehicle"]["remote_id"] == flight.remote_id
    assert m["operator"]["id"] == str(owner.operator_id) and m["operator"]["name"]
    return body


def test_identify_by_each_identifier_and_by_voxel(
    client: httpx.Client, owner: Key, admin_key: Key, make_key: Callable[..., Key]
) -> None:
    flight = Flight(client, owner)
    town = make_key("municipality", jurisdiction=flight.area())
    for key in (admin_key, town):
        for identifier in (flight.mark, flight.remote_id.lower()):
            body = _matched(
                _identify(client, key, identifier=identifier, at=flight.at), flight, owner
            )
            res = body["matches"][0]["reservation"]
            assert res["id"] == flight.reservation["id"]
            assert datetime.fromisoformat(res["time_start"]) == datetime.fromisoformat(
                flight.window[0]
            )
            assert res["state"] == "accepted"
        body = _matched(
            _identify(client, key, spatial_id=flight.voxel, at=flight.at), flight, owner
        )
        assert body["matches"][0]["reservation"]["id"] == flight.reservation["id"]
        assert body["spatial_id"] == flight.voxel
    coarse = f"15/0/{flight.x >> 5}/{flight.y >> 5}"
    r = _identify(client, admin_key, spatial_id=coarse, at=flight.at)
    assert flight.reservation["id"] in [m["reservation"]["id"] for m in r.json()["matches"]]
    # an admin resolves a vehicle with no reservation then; the reservation is null
    later = (datetime.fromisoformat(flight.window[1]) + timedelta(hours=1)).isoformat()
    body = _matched(_identify(client, admin_key, identifier=flight.mark, at=later), flight, owner)
    assert body["matches"][0]["reservation"] is None


def test_identify_a_plate(client: httpx.Client, owner: Key, admin_key: Key) -> None:
    p = plate()
    car = made(vehicle(client, owner, kind="car", max_speed_mps=13, plate=p))
    r = _identify(client, admin_key, identifier=f" {p.lower()} ".replace(" ", "  "))
    assert r.status_code == 200, r.text
    [m] = r.json()["matches"]
    assert m["vehicle"]["id"] == car["id"] and m["vehicle"]["plate"] == p


def test_unknown_is_404_and_on_record(
    client: httpx.Client, admin_key: Key, make_key: Callable[..., Key]
) -> None:
    town = make_key("municipality")
    unknown = mark()
    for key in (admin_key, town):
        r = _identify(client, key, identifier=unknown)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        lookup_id = r.json()["lookup_id"]
        [row] = [x for x in _lookups(client, key) if x["id"] == lookup_id]
        assert row["identifier"] == unknown and row["outcome"] == "not_found"
        assert row["vehicle_id"] is None and row["principal_id"] == str(key.principal_id)
    x, y = spot()
    r = _identify(client, town, spatial_id=f"20/1/{x}/{y}", at=window()[0])
    assert r.status_code == 404
    assert _lookups(client, town)[-1]["spatial_id"] == f"20/1/{x}/{y}"


def test_a_municipality_identifies_only_inside_its_jurisdiction(
    client: httpx.Client, owner: Key, make_key: Callable[..., Key], admin_key: Key
) -> None:
    flight = Flight(client, owner)
    helsinki = make_key("municipality", jurisdiction=HELSINKI)
    nowhere = make_key("municipality", jurisdiction=None)
    town = make_key("municipality", jurisdiction=flight.area())
    for key in (helsinki, nowhere):
        for params in (
            {"identifier": flight.mark},
            {"identifier": flight.remote_id},
            {"spatial_id": flight.voxel},
        ):
            r = _identify(client, key, **params, at=flight.at)
            assert r.status_code == 403, r.text
            assert flight.vehicle["id"] not in r.text and "jurisdiction" in r.json()["detail"]
    # inside the area but with no reservation live then: refused too
    later = (datetime.fromisoformat(flight.window[1]) + timedelta(hours=1)).isoformat()
    assert _identify(client, town, identifier=flight.mark, at=later).status_code == 403
    rows = _lookups(client, helsinki)
    assert [r["outcome"] for r in rows] == ["forbidden"] * 3
    assert all(r["vehicle_id"] is None for r in rows)


def test_every_look_up_is_recorded(
    client: httpx.Client, owner: Key, admin_key: Key, make_key: Callable[..., Key]
) -> None:
    flight = Flight(client, owner)
    town = make_key("municipality", jurisdiction=flight.area())
    other_town = make_key("municipality", jurisdiction=HELSINKI)
    asked = [
        ({"identifier": flight.mark, "at": flight.at}, 200),
        ({"spatial_id": flight.voxel, "at": flight.at}, 200),
        ({"identifier": mark()}, 404),
        ({"identifier": flight.remote_id}, 403),  # now: before the reservation's window
    ]
    for params, status in asked:
        assert _identify(client, town, **params).status_code == status
    assert _identify(client, other_town, identifier=flight.mark, at=flight.at).status_code == 403
    rows = _lookups(client, town)
    assert [r["outcome"] for r in rows] == ["found", "found", "not_found", "forbidden"]
    assert [r["vehicle_id"] for r in rows] == [flight.vehicle["id"]] * 2 + [None, None]
    assert rows[0]["reservation_id"] == flight.reservation["id"]
    assert rows[0]["identifier"] == flight.mark and rows[1]["spatial_id"] == flight.voxel
    assert datetime.fromisoformat(rows[0]["at"]) == datetime.fromisoformat(flight.at)
    assert all(r["principal_id"] == str(town.principal_id) for r in rows)
    # the admin sees everyone's, and filters by principal and vehicle
    everyone = _lookups(client, admin_key, vehicle_id=flight.vehicle["id"])
    assert [r["principal_id"] for r in everyone] == [str(town.principal_id)] * 2
    theirs = _lookups(client, admin_key, principal_id=str(other_town.principal_id))
    assert [r["outcome"] for r in theirs] == ["forbidden"]
    # a municipality's principal_id filter cannot reach another town's record
    assert _lookups(client, town, principal_id=str(other_town.principal_id)) == []


def test_operators_cannot_identify(
    client: httpx.Client, owner: Key, make_key: Callable[..., Key]
) -> None:
    flight = Flight(client, owner)
    for key in (owner, make_key("fleet", owner.operator_id)):
        r = _identify(client, key, identifier=flight.mark)
        assert r.status_code == 403, r.text
        r = client.get("/v1/identify/lookups", headers=key.headers)
        assert r.status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"identifier": "JU0123456789", "spatial_id": "20/0/1/1"},
        {"spatial_id": "20/0/1"},
        {"spatial_id": "20/9999999/1/1"},
        {"identifier": "   "},
        {"identifier": "JU0123456789", "at": "2030-01-01"},
    ],
)
def test_bad_queries_are_422(client: httpx.Client, admin_key: Key, params: dict[str, str]) -> None:
    r = _identify(client, admin_key, **params)
    assert r.status_code == 422, r.text
    assert r.json()["errors"]
