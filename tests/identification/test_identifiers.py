"""Vehicles' identifiers over HTTP: their forms, the kinds they fit, uniqueness among live
vehicles (a retired vehicle's may be reused) and search."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Key
from tests.identification.helpers import made, mark, plate, refused, remote_id, vehicle

INVALID_MARKS = ["JA0123456789", "JU012345678", "JU0123456789AB", "JU01234-6789", "JU 123456789"]
INVALID_REMOTE_IDS = [
    "1581F4XFB0000000",  # length F (15) but 11 serial characters
    "15814XFB",  # length 4, 3 serial characters
    "1581O1",  # O is not a CTA-2063-A character
    "I5811A",  # nor is I
    "15810A",  # 0 is not a length
    "1581G1234567",  # G is not a length
    "158",
]


@pytest.mark.parametrize("case", [str.upper, str.lower, str.title])
def test_valid_registration_marks_are_stored_uppercase(
    client: httpx.Client, operator_key: Key, case: Callable[[str], str]
) -> None:
    value = mark()
    v = made(vehicle(client, operator_key, registration_mark=case(value)))
    assert v["registration_mark"] == value


@pytest.mark.parametrize("value", INVALID_MARKS)
def test_invalid_registration_marks_are_422(
    client: httpx.Client, operator_key: Key, value: str
) -> None:
    body = refused(vehicle(client, operator_key, registration_mark=value), 422, "registration_mark")
    assert "JU followed by 10" in body["errors"][0]["reason"]


@pytest.mark.parametrize("n", [1, 9, 10, 15])
def test_valid_remote_ids_of_each_length(client: httpx.Client, operator_key: Key, n: int) -> None:
    value = remote_id(n)
    v = made(vehicle(client, operator_key, remote_id=value.lower()))
    assert v["remote_id"] == value


@pytest.mark.parametrize("value", INVALID_REMOTE_IDS)
def test_invalid_remote_ids_are_422(client: httpx.Client, operator_key: Key, value: str) -> None:
    body = refused(vehicle(client, operator_key, remote_id=value), 422, "remote_id")
    assert "CTA-2063-A" in body["errors"][0]["reason"]


def test_plates_are_normalised(client: httpx.Client, operator_key: Key) -> None:
    value = plate()
    messy = "  " + value.replace(" ", "   \t").lower() + " "
    v = made(vehicle(client, operator_key, kind="car", max_speed_mps=13, plate=messy))
    assert v["plate"] == value
    for bad in ("   ", "", "x" * 33):
        refused(vehicle(client, operator_key, kind="car", plate=bad), 422, "plate")


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("car", "registration_mark", mark()),
        ("robot", "remote_id", remote_id()),
        ("drone", "plate", plate()),
        ("robot", "plate", plate()),
    ],
)
def test_identifiers_fit_only_their_kinds(
    client: httpx.Client, operator_key: Key, kind: str, field: str, value: str
) -> None:
    body = refused(vehicle(client, operator_key, kind=kind, **{field: value}), 422, field)
    assert f"a {kind} carries no {field}" in body["detail"]


def test_a_kind_change_keeps_identifiers_fitting(client: httpx.Client, operator_key: Key) -> None:
    v = made(vehicle(client, operator_key, registration_mark=mark()))
    path = f"/v1/vehicles/{v['id']}"
    refused(
        client.patch(path, headers=operator_key.headers, json={"kind": "car"}),
        422,
        "registration_mark",
    )
    r = client.patch(
        path, headers=operator_key.headers, json={"kind": "car", "registration_mark": None}
    )
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "car" and r.json()["registration_mark"] is None
    bad = client.patch(path, headers=operator_key.headers, json={"plate": " "})
    refused(bad, 422, "plate")


@pytest.mark.parametrize("field", ["registration_mark", "remote_id", "plate"])
def test_unique_among_live_vehicles(
    client: httpx.Client, make_key: Callable[..., Key], field: str
) -> None:
    mine, other = make_key("operator"), make_key("operator")
    kind = "car" if field == "plate" else "drone"
    value = {"registration_mark": mark, "remote_id": remote_id, "plate": plate}[field]()
    first = made(vehicle(client, mine, kind=kind, **{field: value}))
    again = refused(vehicle(client, mine, kind=kind, **{field: value}), 409, field)
    assert again["vehicle_id"] == first["id"]  # one's own vehicle is named
    theirs = refused(vehicle(client, other, kind=kind, **{field: value}), 409, field)
    assert "vehicle_id" not in theirs and first["id"] not in theirs["detail"]
    second = made(vehicle(client, mine, kind=kind))
    r = client.patch(
        f"/v1/vehicles/{second['id']}", headers=mine.headers, json={field: value.lower()}
    )
    assert refused(r, 409, field)["vehicle_id"] == first["id"]
    r = client.post(f"/v1/vehicles/{first['id']}/retire", headers=mine.headers)
    assert r.status_code == 200
    reused = made(vehicle(client, other, kind=kind, **{field: value}))  # free once retired
    assert reused[field] == value


def test_search_by_identifier(client: httpx.Client, make_key: Callable[..., Key]) -> None:
    me, other = make_key("operator"), make_key("operator")
    m, rid, p = mark(), remote_id(), plate()
    drone = made(vehicle(client, me, registration_mark=m, remote_id=rid))
    car = made(vehicle(client, me, kind="car", plate=p))
    made(vehicle(client, me))
    made(vehicle(client, other, registration_mark=mark()))

    def found(**params: str) -> list[str]:
        r = client.get("/v1/vehicles", headers=me.headers, params=params)
        assert r.status_code == 200, r.text
        return [v["id"] for v in r.json()["items"]]

    assert found(registration_mark=m.lower()) == [drone["id"]]
    assert found(remote_id=rid) == [drone["id"]]
    assert found(plate=f"  {p.lower()}  ".replace(" ", "  ")) == [car["id"]]
    assert found(registration_mark=m, remote_id=rid) == [drone["id"]]
    assert found(registration_mark=m, plate=p) == []
    assert found(registration_mark=mark()) == []
    other_mark = client.get(
        "/v1/vehicles", headers=other.headers, params={"registration_mark": m}
    ).json()
    assert other_mark["items"] == []  # another operator's vehicles are not searched
    ids = []
    link: str | None = f"/v1/vehicles?kind=drone&limit=1&remote_id={rid}"
    while link is not None:
        page = client.get(link, headers=me.headers).json()
        ids += [v["id"] for v in page["items"]]
        link = page["next"]
        assert link is None or f"remote_id={rid}" in link
    assert ids == [drone["id"]]


def test_racing_registrations_of_one_mark(live_server: str, make_key: Callable[..., Key]) -> None:
    keys = [make_key("operator") for _ in range(2)] * 3
    value = mark()
    barrier = threading.Barrier(len(keys))

    def register(key: Key) -> httpx.Response:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            barrier.wait()
            return vehicle(c, key, registration_mark=value)

    with ThreadPoolExecutor(len(keys)) as pool:
        answers = list(pool.map(register, keys))
    assert sorted(r.status_code for r in answers) == [201] + [409] * (len(keys) - 1)
    for r in answers:
        if r.status_code == 409:
            refused(r, 409, "registration_mark")


def test_the_openapi_declares_the_forms(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    props = spec["components"]["schemas"]["VehicleCreate"]["properties"]

    def pattern(field: str) -> re.Pattern[str]:
        [string] = [b for b in props[field]["anyOf"] if b.get("type") == "string"]
        return re.compile(string["pattern"])

    assert pattern("registration_mark").search(mark())
    assert not pattern("registration_mark").search("JU0123456789AB")
    for n in range(1, 16):
        assert pattern("remote_id").search(remote_id(n))
    assert not any(pattern("remote_id").search(v) for v in INVALID_REMOTE_IDS)
    [plate_string] = [b for b in props["plate"]["anyOf"] if b.get("type") == "string"]
    assert plate_string["maxLength"] == 32
