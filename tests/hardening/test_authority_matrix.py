"""The grant and jurisdiction matrix (who may book which priority, declare where), and
revocation taking effect on the very next request."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Key
from tests.hardening.conftest import new_key
from tests.hardening.matrix_airways import AIRWAYS
from tests.hardening.matrix_cases import AUTHORITY, TOKYO, Authority, reservation_body


def test_revocation_takes_effect_on_the_very_next_request(
    client_m: httpx.Client, keys: dict[str, Key], db_sessions: sessionmaker[Session]
) -> None:
    from registry.db import session_scope
    from registry.services import principals

    key = new_key(db_sessions, "operator")
    for _ in range(3):  # warm: any cache of the principal would be filled now
        assert client_m.get("/v1/vehicles", headers=key.headers).status_code == 200
    with session_scope(db_sessions) as session:
        principals.revoke_token(session=session, token=key.token)
    r = client_m.get("/v1/vehicles", headers=key.headers)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    r = client_m.post("/v1/reservations", headers=key.headers, json=reservation_body())
    assert r.status_code == 401
    key2 = new_key(db_sessions, "fleet")
    assert client_m.get("/v1/reservations", headers=key2.headers).status_code == 200
    with session_scope(db_sessions) as session:
        principals.revoke_principal(session=session, principal_id=key2.principal_id)
    assert client_m.get("/v1/reservations", headers=key2.headers).status_code == 401


@pytest.fixture(scope="module")
def authority(
    client_m: httpx.Client, keys: dict[str, Key], db_sessions: sessionmaker[Session]
) -> Authority:
    """Operators with the default grant, 50 without and 100 with preemption; Tokyo's
    municipality and one without a jurisdiction; an admin."""
    rescue = new_key(db_sessions, "operator", max_priority=100, may_preempt=True)
    return Authority(
        client=client_m,
        ordinary=new_key(db_sessions, "operator"),
        medic=new_key(db_sessions, "operator", max_priority=50),
        rescue=rescue,
        rescue_fleet=new_key(db_sessions, "fleet", rescue.operator_id),
        tokyo=new_key(db_sessions, "municipality", jurisdiction=TOKYO),
        nowhere=new_key(db_sessions, "municipality", jurisdiction=None),
        admin=keys["admin"],
    )


def test_grant_and_jurisdiction_matrix(authority: Authority) -> None:
    cases = {**AUTHORITY, **AIRWAYS}
    observed = {name: case(authority) for name, (case, _) in cases.items()}
    diff = {
        name: (r.status_code, cases[name][1], r.text[:200])
        for name, r in observed.items()
        if r.status_code != cases[name][1]
    }
    assert not diff, "observed != expected:\n" + "\n".join(f"{k}: {v}" for k, v in diff.items())
    beyond = ("ordinary books", "medic books", "ordinary route", "ordinary fleet")
    for name, r in observed.items():  # a refused priority names the granted maximum
        if r.status_code == 403 and name.startswith(beyond):
            assert r.json()["max_priority"] == (50 if name.startswith("medic") else 0), name
