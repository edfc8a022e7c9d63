"""Shared fixtures: a fresh migrated test database, a live server, principals and keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings, default_database_url
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.models import Principal
from registry.services import authority, operators, principals
from tests.pgtools import Cluster, pg_bin, recreate_database, serve, with_database

# CI replays a fixed set of examples (no flaky landings); local runs explore new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``optional`` marker."""
    config.addinivalue_line(
        "markers",
        "optional: needs an engine CI need not have (e.g. BlueSky, SUMO); its skip never fails",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI (``CI`` set) every test is required: a skip fails, unless the test is marked
    ``optional``. An expected failure (``xfail``) is not a skip."""
    report: pytest.TestReport = yield
    if (
        os.environ.get("CI")
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("optional") is None
    ):
        longrepr = report.longrepr
        why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        why = why.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test is required: {why}"
    return report


WORLD = {
    "type": "Polygon",
    "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]],
}
"""A jurisdiction covering everything: the default of test municipalities."""


def add_authority(
    session: Session,
    principal: Principal,
    *,
    jurisdiction: dict[str, object] | None,
    max_priority: int,
    may_preempt: bool,
) -> None:
    """Give a new test principal its jurisdiction (municipalities) or its operator a grant."""
    if principal.role == "municipality" and jurisdiction is not None:
        authority.set_jurisdiction(
            session=session, actor=None, principal_id=principal.id, geometry=jurisdiction
        )
    if principal.operator_id is not None and (max_priority or may_preempt):
        authority.set_grant(
            session=session,
            actor=None,
            operator_id=principal.operator_id,
            max_priority=max_priority,
            may_preempt=may_preempt,
        )


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Key:
    """A principal made for a test, with its bearer token."""

    principal_id: uuid.UUID
    role: str
    operator_id: uuid.UUID | None
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for this key."""
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def base_database_url() -> str:
    """The database ``make test`` points at (KUKAN_DATABASE_URL), else the private cluster."""
    return os.environ.get("KUKAN_DATABASE_URL") or default_database_url()


@pytest.fixture(scope="session")
def database_url(base_database_url: str) -> Iterator[str]:
    """A fresh ``<db>_test`` database, migrated to head.

    A session-long advisory lock makes a concurrent test run wait instead of dropping
    the database under this one.
    """
    name = f"{make_url(base_database_url).database}_test"
    url = with_database(base_database_url, name)
    lock_engine = create_engine(
        with_database(base_database_url, "postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=pool.NullPool,
    )
    with lock_engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": f"kukan-tests:{name}"})
        recreate_database(url)
        migrate.upgrade(url)
        yield url
    lock_engine.dispose()


@pytest.fixture(scope="session")
def db_sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the test database."""
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings of the live server: a small cover cap so 413 is cheap to reach, and a
    generous route budget so a slow machine does not turn a route into ``budget_exceeded``
    (the expansion cap still bounds every search). Webhooks may call this machine, on a
    shortened back-off (0.2 s doubling to 1 s), so a receiver's outage is quick to test."""
    return Settings(
        database_url=database_url,
        cover_max_voxels=5_000,
        page_size_max=100,
        route_budget_s=120,
        webhook_allow_private=True,
        webhook_backoff_base_s=0.2,
        webhook_backoff_max_s=1.0,
    )


@pytest.fixture(scope="session")
def live_app(settings: Settings) -> FastAPI:
    """The app the live server serves (tests may read the state it owns, e.g. its caches)."""
    return create_app(settings)


@pytest.fixture(scope="session")
def live_server(live_app: FastAPI) -> Iterator[str]:
    """Base URL of the real app served by uvicorn in a background thread."""
    with serve(live_app) as base:
        yield base


@pytest.fixture()
def client(live_server: str) -> Iterator[httpx.Client]:
    """An HTTP client for the live server."""
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def inproc_app(settings: Settings) -> FastAPI:
    """An app that plans routes in the request's thread (``planning_workers`` 0), for tests
    that hook the planner or read its caches in this process."""
    return create_app(settings.model_copy(update={"planning_workers": 0}))


@pytest.fixture(scope="session")
def inproc_server(inproc_app: FastAPI) -> Iterator[str]:
    """Base URL of :func:`inproc_app` served by uvicorn in a background thread."""
    with serve(inproc_app) as base:
        yield base


@pytest.fixture()
def inproc_client(inproc_server: str) -> Iterator[httpx.Client]:
    """An HTTP client for :func:`inproc_server`."""
    with httpx.Client(base_url=inproc_server, timeout=30) as c:
        yield c


@pytest.fixture()
def make_operator(db_sessions: sessionmaker[Session]) -> Callable[[], uuid.UUID]:
    """Create an operator with a unique name; return its id."""

    def make() -> uuid.UUID:
        with session_scope(db_sessions) as session:
            return operators.create_operator(session=session, actor=None, name=unique("op")).id

    return make


@pytest.fixture()
def make_key(db_sessions: sessionmaker[Session]) -> Callable[..., Key]:
    """Create a principal of a role (operator/fleet get a fresh operator unless given one).

    A municipality governs the whole world unless given a ``jurisdiction`` (None: none);
    an operator's grant is ``max_priority`` (0) and ``may_preempt`` (False) unless given."""

    def make(
        role: str,
        operator_id: uuid.UUID | None = None,
        *,
        jurisdiction: dict[str, object] | None = WORLD,
        max_priority: int = 0,
        may_preempt: bool = False,
    ) -> Key:
        with session_scope(db_sessions) as session:
            if role in ("operator", "fleet") and operator_id is None:
                op = operators.create_operator(session=session, actor=None, name=unique("op"))
                operator_id = op.id
            principal, token = principals.create_principal(
                session=session,
                actor=None,
                name=unique(role),
                role=role,
                operator_id=operator_id,
            )
            add_authority(
                session,
                principal,
                jurisdiction=jurisdiction,
                max_priority=max_priority,
                may_preempt=may_preempt,
            )
            return Key(principal.id, role, operator_id, token)

    return make


@pytest.fixture()
def operator_key(make_key: Callable[..., Key]) -> Key:
    """An operator principal of a fresh operator."""
    return make_key("operator")


@pytest.fixture()
def admin_key(make_key: Callable[..., Key]) -> Key:
    """An admin principal."""
    return make_key("admin")


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster of its own, started (tests may stop and start it)."""
    found = pg_bin()
    if found is None:
        pytest.skip("no initdb found (set KUKAN_PG_BIN to PostgreSQL's bin directory)")
    c = Cluster(found)
    try:
        c.start()
        yield c
    finally:
        c.destroy()
