"""GET /v1/operators: admins list every operator by name, in pages; others see their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key


def _every(client: httpx.Client, key: Key) -> list[dict[str, Any]]:
    """The whole list, in pages of the largest size."""
    out: list[dict[str, Any]] = []
    url: str | None = "/v1/operators?limit=500"
    while url is not None:
        r = client.get(url, headers=key.headers)
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        url = r.json()["next"]
    return out


def test_admins_list_every_operator_by_name_in_pages(client: httpx.Client, admin_key: Key) -> None:
    prefix = f"list-{uuid.uuid4().hex[:10]}"
    made = {}
    for suffix in ("c", "a", "b"):  # created out of order: the list is by name
        r = client.post(
            "/v1/operators", headers=admin_key.headers, json={"name": f"{prefix}-{suffix}"}
        )
        assert r.status_code == 201, r.text
        made[suffix] = r.json()
    every = _every(client, admin_key)
    names = [o["name"] for o in every]
    assert len(set(o["id"] for o in every)) == len(every)  # no operator twice
    at = names.index(f"{prefix}-a")
    assert names[at : at + 3] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert every[at] == {**made["a"], "created_at": every[at]["created_at"]}
    url: str | None = "/v1/operators?limit=2"
    while url is not None:  # pages of two, followed by their next links, reach the same order
        page = client.get(url, headers=admin_key.headers).json()
        assert len(page["items"]) <= 2
        ids = [o["id"] for o in page["items"]]
        if made["a"]["id"] in ids:
            break
        url = page["next"]
    assert page["items"][0] == every[at] or page["items"][1] == every[at]


def test_others_list_only_their_own_operator(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    mine = make_key("operator")
    fleet = make_key("fleet", operator_id=mine.operator_id)
    for key in (mine, fleet):
        listed = client.get("/v1/operators", headers=key.headers).json()
        assert [o["id"] for o in listed["items"]] == [str(mine.operator_id)]
        assert listed["next"] is None
    town = make_key("municipality")  # belongs to no operator
    assert client.get("/v1/operators", headers=town.headers).json()["items"] == []
    assert str(mine.operator_id) in {o["id"] for o in _every(client, admin_key)}


def test_list_bounds_are_422_naming_the_parameter(client: httpx.Client, admin_key: Key) -> None:
    for params, field in (
        ({"limit": 0}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"after": "not-a-cursor"}, "after"),
    ):
        r = client.get("/v1/operators", headers=admin_key.headers, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == [field], r.json()
