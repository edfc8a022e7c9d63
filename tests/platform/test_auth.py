"""Bearer-token authentication and roles."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.services import principals
from tests.conftest import Key


def _assert_401(r: httpx.Response) -> None:
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer kukan_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_invalid_token_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    for path in (
        "/v1/vehicles",
        "/v1/operators",
        "/v1/vehicles/00000000-0000-0000-0000-000000000000",
    ):
        _assert_401(client.get(path, headers=headers))
    _assert_401(client.post("/v1/vehicles", headers=headers, json={}))


def test_valid_token_works(client: httpx.Client, operator_key: Key) -> None:
    assert client.get("/v1/vehicles", headers=operator_key.headers).status_code == 200


def test_revoked_principal_is_401(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    assert client.get("/v1/vehicles", headers=operator_key.headers).status_code == 200
    with session_scope(db_sessions) as session:
        principals.revoke_principal(session=session, principal_id=operator_key.principal_id)
    r = client.get("/v1/vehicles", headers=operator_key.headers)
    _assert_401(r)
    assert "revoked" in r.json()["detail"]


def test_revoked_key_is_401(
    client: httpx.Client, operator_key: Key, db_sessions: sessionmaker[Session]
) -> None:
    with session_scope(db_sessions) as session:
        principals.revoke_token(session=session, token=operator_key.token)
    _assert_401(client.get("/v1/vehicles", headers=operator_key.headers))


def test_keys_are_stored_hashed(operator_key: Key, db_sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import select

    from registry.models import ApiKey

    with session_scope(db_sessions) as session:
        stored = session.scalars(
            select(ApiKey).where(ApiKey.principal_id == operator_key.principal_id)
        ).one()
        assert stored.key_hash == principals.hash_token(operator_key.token)
        assert operator_key.token not in (stored.key_hash, stored.prefix)
        assert operator_key.token.startswith(stored.prefix)


def test_only_admins_create_operators(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    for role in ("operator", "fleet", "municipality"):
        r = client.post("/v1/operators", headers=make_key(role).headers, json={"name": "X"})
        assert r.status_code == 403, role
    r = client.post(
        "/v1/operators", headers=admin_key.headers, json={"name": "Sky " + admin_key.token[-8:]}
    )
    assert r.status_code == 201
    assert r.json()["id"]
    again = client.post("/v1/operators", headers=admin_key.headers, json={"name": r.json()["name"]})
    assert again.status_code == 409


def test_operator_reads_only_its_own_operator(
    client: httpx.Client, make_key: Callable[..., Key], admin_key: Key
) -> None:
    a, b = make_key("operator"), make_key("operator")
    assert client.get("/v1/operators/me", headers=a.headers).json()["id"] == str(a.operator_id)
    assert client.get(f"/v1/operators/{a.operator_id}", headers=a.headers).status_code == 200
    assert client.get(f"/v1/operators/{b.operator_id}", headers=a.headers).status_code == 404
    listed = client.get("/v1/operators", headers=a.headers).json()
    assert [o["id"] for o in listed["items"]] == [str(a.operator_id)] and listed["next"] is None
    assert (
        client.get(f"/v1/operators/{b.operator_id}", headers=admin_key.headers).status_code == 200
    )


def test_municipality_cannot_register_vehicles(
    client: httpx.Client, make_key: Callable[..., Key]
) -> None:
    muni = make_key("municipality")
    body = {"name": "d", "kind": "drone", "max_speed_mps": 10}
    assert client.post("/v1/vehicles", headers=muni.headers, json=body).status_code == 403
    assert client.get("/v1/vehicles", headers=muni.headers).json()["items"] == []
