"""GET /health against a live server, and 503 + recovery when PostgreSQL stops and starts."""

from __future__ import annotations

import time

import httpx

from api.app import create_app
from api.settings import Settings
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import principals
from tests.pgtools import Cluster, recreate_database, serve, with_database


def test_health_ok(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def _wait_for(client: httpx.Client, path: str, status: int, **kw: object) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        r = client.get(path, **kw)  # type: ignore[arg-type]
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_database_down_is_503_and_recovers_without_restart(cluster: Cluster) -> None:
    url = with_database(cluster.url, "kukan")
    recreate_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        _, token = principals.create_principal(
            session=session, actor=None, name="health-admin", role="admin"
        )
    engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    app = create_app(Settings(database_url=url, retry_after_s=7, db_connect_timeout_s=2))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/health").json() == {"status": "ok", "database": "ok"}
        assert client.get("/v1/vehicles", headers=auth).status_code == 200

        cluster.stop()
        r = client.get("/health")
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "7"
        assert r.json() == {"status": "degraded", "database": "unreachable"}
        r = client.get("/v1/vehicles", headers=auth)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "7"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "database" in r.json()["detail"]

        cluster.start()
        r = _wait_for(client, "/health", 200)
        assert r.json() == {"status": "ok", "database": "ok"}
        assert _wait_for(client, "/v1/vehicles", 200, headers=auth).status_code == 200
