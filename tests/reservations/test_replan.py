"""needs_replan: the filter, the causes (which restriction, since when), the flag clearing
when nothing intersects any more, and the municipality's list of affected reservations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.reservations.helpers import created, ids, reserve, spot, square, tile_corner, volume
from tests.reservations.helpers import window as hours


def _area(x: int, y: int, tiles: float = 3) -> dict[str, object]:
    lng, lat = tile_corner(x, y)
    d = 360 / 2**20 * tiles
    return square(lng + 1e-6, lat - d, d - 2e-6)


def _restrict(
    client: httpx.Client, town: Key, x: int, y: int, reason: str, w: tuple[str, str]
) -> dict[str, Any]:
    body = {
        "geometry": _area(x, y),
        "altitude_lower": 0,
        "altitude_upper": 100,
        "reason": reason,
        "time_start": w[0],
        "time_end": w[1],
    }
    r = client.post("/v1/restrictions", headers=town.headers, json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _get(client: httpx.Client, key: Key, rid: str) -> dict[str, Any]:
    r = client.get(f"/v1/reservations/{rid}", headers=key.headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _flagged(client: httpx.Client, key: Key, flag: str = "true") -> list[str]:
    r = client.get("/v1/reservations", headers=key.headers, params={"needs_replan": flag})
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def test_filter_causes_and_clearing(
    client: httpx.Client, make_key: Callable[..., Key], operator_key: Key
) -> None:
    """Why: the filter ignored `needs_replan`; the flag never cleared, not even when the
    restriction was lifted; nothing said which restriction."""
    town = make_key("municipality")
    x, y = spot()
    w = hours(2, 1)
    hit = created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=1), w)))
    calm = created(reserve(client, operator_key, volume(ids(x + 30, y, 1, f=1), w)))
    assert _flagged(client, operator_key) == []
    first = _restrict(client, town, x, y, "fireworks", w)
    second = _restrict(client, town, x, y, "parade", w)
    assert first["affected_reservations"] == second["affected_reservations"] == [hit["id"]]
    assert _flagged(client, operator_key) == [hit["id"]]
    assert _flagged(client, operator_key, "false") == [calm["id"]]
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is True and got["state"] == "accepted"
    causes = got["needs_replan_causes"]
    assert [(c["kind"], c["restriction_id"], c["reason"]) for c in causes] == [
        ("restriction", first["id"], "fireworks"),
        ("restriction", second["id"], "parade"),
    ]
    assert datetime.fromisoformat(causes[0]["since"]) <= datetime.fromisoformat(causes[1]["since"])
    assert _get(client, operator_key, calm["id"])["needs_replan_causes"] == []

    r = client.delete(f"/v1/restrictions/{first['id']}", headers=town.headers)  # lifted
    assert r.status_code == 200
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is True  # the parade still covers it
    assert [c["restriction_id"] for c in got["needs_replan_causes"]] == [second["id"]]
    r = client.patch(
        f"/v1/restrictions/{second['id']}", headers=town.headers, json={"active": False}
    )
    assert r.status_code == 200
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is False and got["needs_replan_causes"] == []
    assert _flagged(client, operator_key) == []
    r = client.patch(
        f"/v1/restrictions/{second['id']}", headers=town.headers, json={"active": True}
    )
    assert r.json()["affected_reservations"] == [hit["id"]]  # restored: flagged again
    assert _flagged(client, operator_key) == [hit["id"]]


def test_obstacle_causes_clear_too(client: httpx.Client, admin_key: Key, operator_key: Key) -> None:
    x, y = spot()
    hit = created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=0), hours(2, 1))))
    body = {"geometry": _area(x, y), "height_m": 20, "name": "tower", "kind": "mast"}
    r = client.post("/v1/obstacles", headers=admin_key.headers, json=body)
    assert r.status_code == 201 and r.json()["affected_reservations"] == [hit["id"]]
    got = _get(client, operator_key, hit["id"])
    cause = got["needs_replan_causes"][0]
    assert cause["kind"] == "obstacle" and cause["obstacle_id"] == r.json()["id"]
    assert cause["reason"] == "mast tower"
    assert client.delete(f"/v1/obstacles/{r.json()['id']}", headers=admin_key.headers).is_success
    assert _get(client, operator_key, hit["id"])["needs_replan"] is False


def test_municipality_lists_affected_reservations(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    """Why: the municipality received ids it could not read (404)."""
    town, other_town = make_key("municipality"), make_key("municipality")
    a, b = make_key("operator"), make_key("operator")
    x, y = spot()
    w = hours(2, 1)
    ra = created(reserve(client, a, volume(ids(x, y + 1, 1, f=1), w)))
    rb = created(reserve(client, b, volume(ids(x + 1, y + 1, 1, f=1), w)))
    made = _restrict(client, town, x, y, "marathon", w)
    assert sorted(made["affected_reservations"]) == sorted([ra["id"], rb["id"]])
    path = f"/v1/restrictions/{made['id']}/affected-reservations"
    for key in (town, admin_key):
        r = client.get(path, headers=key.headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["id"] for i in items] == [ra["id"], rb["id"]]  # oldest first
        assert {i["operator_id"] for i in items} == {str(a.operator_id), str(b.operator_id)}
        assert all(i["needs_replan_causes"][0]["restriction_id"] == made["id"] for i in items)
    page = client.get(path, headers=town.headers, params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next"] is not None
    for key in (other_town, a):
        r = client.get(path, headers=key.headers)
        assert r.status_code == 403 and r.headers["content-type"].startswith(
            "application/problem+json"
        )
    missing = "/v1/restrictions/00000000-0000-0000-0000-000000000000/affected-reservations"
    assert client.get(missing, headers=town.headers).status_code == 404
    assert client.delete(f"/v1/reservations/{ra['id']}", headers=a.headers).is_success
    r = client.get(path, headers=town.headers)
    assert [i["id"] for i in r.json()["items"]] == [rb["id"]]  # cancelled: no longer affected


def test_reimported_buildings_judge_the_flag_again(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    """An import replaces a source's buildings: reservations only the old ones met clear."""
    import uuid

    import shapely

    from registry.db import session_scope
    from registry.importers.parsers.common import Building
    from registry.importers.store import write_buildings

    x, y = spot()
    hit = created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=0), hours(2, 1))))
    source = f"test-{uuid.uuid4().hex[:8]}"
    over = shapely.geometry.shape(_area(x, y))
    away = shapely.affinity.translate(over, xoff=0.01)

    def load(footprint: Any) -> None:
        shape = shapely.MultiPolygon([footprint])
        with session_scope(db_sessions) as s:
            write_buildings(session=s, source=source, buildings=[Building("b1", shape, 20.0)])

    load(over)
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is True and got["needs_replan_causes"][0]["kind"] == "obstacle"
    load(away)  # the building moved away in the new data
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is False and got["needs_replan_causes"] == []


def test_recheck_one_reservation_after_its_boxes_change(
    client: httpx.Client,
    make_key: Callable[..., Key],
    operator_key: Key,
    db_sessions: sessionmaker[Session],
) -> None:
    """A reservation whose volumes change (a replacement) is judged again on its own."""
    import uuid

    from sqlalchemy import text

    from registry.boxes import replans
    from registry.db import session_scope

    town = make_key("municipality")
    x, y = spot()
    w = hours(2, 1)
    hit = created(reserve(client, operator_key, volume(ids(x, y + 1, 1, f=1), w)))
    _restrict(client, town, x, y, "concert", w)
    rid = uuid.UUID(hit["id"])
    with session_scope(db_sessions) as s:
        assert replans.recheck_reservation(session=s, reservation_id=rid) == []  # still met
        s.execute(  # its boxes move 40 tiles east, out of the restriction
            text("UPDATE reservation_boxes SET x = int4range(lower(x) + 1280, upper(x) + 1280)"
                 " WHERE reservation_id = :r"),
            {"r": rid},
        )  # fmt: skip
        assert replans.recheck_reservation(session=s, reservation_id=rid) == [rid]
    got = _get(client, operator_key, hit["id"])
    assert got["needs_replan"] is False and got["needs_replan_causes"] == []
