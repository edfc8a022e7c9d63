"""Fixtures: the vendored Helsinki extract imported once into the test database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.importers.parsers.osm import OsmData, read_osm
from registry.importers.store import Written, write_buildings, write_roads
from tests.conftest import unique

PBF = Path(__file__).resolve().parents[2] / "data" / "helsinki.osm.pbf"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Imported:
    """An import of the extract: its source name, what was read and what was written."""

    source: str
    data: OsmData
    written: Written


def import_osm(factory: sessionmaker[Session], source: str) -> Imported:
    """Read the extract and write it as ``source`` in one transaction."""
    data = read_osm(PBF)
    with session_scope(factory) as session:
        out = write_buildings(session=session, source=source, buildings=data.buildings)
        write_roads(
            session=session, source=source, nodes=data.nodes, stretches=data.stretches, out=out
        )
    return Imported(source, data, out)


def counts(factory: sessionmaker[Session], source: str) -> dict[str, int]:
    """Rows of a source in every table an import writes."""
    with session_scope(factory) as session:
        return {
            "obstacles": session.scalar(
                text("SELECT count(*) FROM obstacles WHERE source = :s"), {"s": source}
            ),
            "blocker_boxes": session.scalar(
                text(
                    """SELECT count(*) FROM blocker_boxes b JOIN obstacles o
                    ON o.id = b.obstacle_id WHERE o.source = :s"""
                ),
                {"s": source},
            ),
            "road_nodes": session.scalar(
                text("SELECT count(*) FROM road_nodes WHERE source = :s"), {"s": source}
            ),
            "road_edges": session.scalar(
                text("SELECT count(*) FROM road_edges WHERE source = :s"), {"s": source}
            ),
        }


@pytest.fixture(scope="session")
def helsinki(db_sessions: sessionmaker[Session]) -> Imported:
    """The vendored extract, imported once per test run under a unique source."""
    return import_osm(db_sessions, unique("osm-helsinki"))
