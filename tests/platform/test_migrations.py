"""Migrations: upgrade from empty, downgrade to base, upgrade again (in a scratch database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import make_url

from registry import migrate
from registry.models import PARTITION_PREFIX, Base
from tests.pgtools import drop_database, recreate_database, with_database

TABLES = {"operators", "principals", "api_keys", "vehicles", "positions", "reservations"}


@pytest.fixture()
def scratch_url(base_database_url: str) -> Iterator[str]:
    name = f"{make_url(base_database_url).database}_mig_{uuid.uuid4().hex[:8]}"
    url = with_database(base_database_url, name)
    recreate_database(url, extensions=False)
    yield url
    drop_database(url)


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    assert migrate.current(scratch_url) is None
    migrate.upgrade(scratch_url)
    assert migrate.current(scratch_url) == migrate.head()
    assert _tables(scratch_url) >= TABLES
    engine = create_engine(scratch_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        exts = set(conn.scalars(text("SELECT extname FROM pg_extension")))
        assert {"postgis", "btree_gist"} <= exts
    engine.dispose()

    migrate.downgrade(scratch_url, "base")
    assert migrate.current(scratch_url) is None
    assert _tables(scratch_url) == {"alembic_version"}

    migrate.upgrade(scratch_url, "0001")
    assert migrate.current(scratch_url) == "0001"
    assert _tables(scratch_url) >= TABLES - {"reservations"}
    migrate.upgrade(scratch_url, "head")
    assert migrate.current(scratch_url) == migrate.head()
    assert _tables(scratch_url) >= TABLES


def _migrated(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """The objects the models describe: not the fix history's daily partitions, which the
    application makes at run time."""
    if type_ == "table" and name is not None and name.startswith(PARTITION_PREFIX):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))


def test_models_match_the_migrations(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": _migrated, "compare_type": True}
        )
        assert compare_metadata(ctx, Base.metadata) == []
    engine.dispose()
