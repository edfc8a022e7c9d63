"""The 4D schema: the exclusion constraint itself, and the 0002 downgrade."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from registry import migrate
from tests.pgtools import drop_database, recreate_database, with_database

NEW_TABLES = {
    "reservations",
    "reservation_volumes",
    "reservation_boxes",
    "restrictions",
    "obstacles",
    "blocker_boxes",
}


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    eng = create_engine(database_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


def _reservation(conn: object, principal: uuid.UUID) -> uuid.UUID:
    rid = uuid.uuid4()
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO reservations (id, principal_id, time_start, time_end, geometry) "
            "VALUES (:id, :p, now(), now() + interval '1 hour', "
            "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"
        ),
        {"id": rid, "p": principal},
    )
    return rid


BOX = (
    "INSERT INTO reservation_boxes (reservation_id, x, y, f, during, priority) VALUES "
    "(:r, int4range(:x0, :x1), int4range(0, 10), int4range(0, 10), "
    "tstzrange('2030-01-01', '2030-01-02'), 0)"
)


def test_exclusion_constraint_rejects_overlap(engine: Engine, make_key: object) -> None:
    key = make_key("operator")  # type: ignore[operator]
    with engine.begin() as conn:
        r1 = _reservation(conn, key.principal_id)
        r2 = _reservation(conn, key.principal_id)
        conn.execute(text(BOX), {"r": r1, "x0": 0, "x1": 10})
        conn.execute(text(BOX), {"r": r2, "x0": 10, "x1": 20})  # adjacent: fine
    with pytest.raises(IntegrityError) as err, engine.begin() as conn:
        conn.execute(text(BOX), {"r": r2, "x0": 9, "x1": 11})
    assert getattr(err.value.orig, "sqlstate", None) == "23P01"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE reservation_boxes SET active = false WHERE reservation_id = :r"), {"r": r1}
        )
        conn.execute(text(BOX), {"r": r2, "x0": 0, "x1": 5})  # the space is free again


@pytest.fixture()
def scratch_url(base_database_url: str) -> Iterator[str]:
    name = f"{make_url(base_database_url).database}_mig4_{uuid.uuid4().hex[:8]}"
    url = with_database(base_database_url, name)
    recreate_database(url, extensions=False)
    yield url
    drop_database(url)


def test_downgrade_to_0001_and_back(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    eng = create_engine(scratch_url, poolclass=pool.NullPool)
    try:
        assert set(inspect(eng).get_table_names()) >= NEW_TABLES
        migrate.downgrade(scratch_url, "0001")
        assert migrate.current(scratch_url) == "0001"
        assert not set(inspect(eng).get_table_names()) & NEW_TABLES
        migrate.upgrade(scratch_url)
        assert set(inspect(eng).get_table_names()) >= NEW_TABLES
    finally:
        eng.dispose()
