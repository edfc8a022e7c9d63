"""PLATEAU CityGML and GeoJSON buildings; bad files change nothing; failures roll back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.importers.parsers.citygml import read_citygml_buildings
from registry.importers.parsers.common import Building, ImportFileError
from registry.importers.parsers.geojson import read_geojson_buildings
from registry.importers.store import write_buildings
from tests.conftest import unique
from tests.importers.conftest import FIXTURES, counts


def _rows(factory: sessionmaker[Session], source: str) -> dict[str, tuple[float, float, float]]:
    with session_scope(factory) as session:
        rows = session.execute(
            text(
                """SELECT source_ref, height_m, ST_X(ST_Centroid(geometry)),
                    ST_Y(ST_Centroid(geometry)) FROM obstacles WHERE source = :s"""
            ),
            {"s": source},
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.fixture()
def source(db_sessions: sessionmaker[Session]) -> Iterator[str]:
    """A unique source, removed after the test (the fixture sits in Japan's test area)."""
    name = unique("files")
    yield name
    with session_scope(db_sessions) as session:
        session.execute(text("DELETE FROM obstacles WHERE source = :s"), {"s": name})


def test_plateau_fixture(db_sessions: sessionmaker[Session], source: str) -> None:
    buildings, stats = read_citygml_buildings(FIXTURES / "plateau_small.gml")
    assert stats.read == 4 and stats.kept == 3 and sum(stats.skipped.values()) == 1
    with session_scope(db_sessions) as session:
        write_buildings(session=session, source=source, buildings=buildings)
    rows = _rows(db_sessions, source)
    assert {k: v[0] for k, v in rows.items()} == {
        "bldg_footprint_30m": 30.5,  # measuredHeight, lod0FootPrint
        "bldg_solid_45m": 45.0,  # measuredHeight, lod1Solid
        "bldg_solid_no_height": 12.0,  # no measuredHeight: the solid's 14.5 - 2.5 m
    }
    for _, lng, lat in rows.values():  # posList is lat lon h: not swapped
        assert 139.76 < lng < 139.77 and 35.68 < lat < 35.683
    footprint = next(b for b in buildings if b.ref == "bldg_solid_45m").footprint
    assert footprint.bounds == pytest.approx((139.766, 35.6815, 139.7663321, 35.68168))
    assert shapely.get_num_geometries(footprint) == 1  # the lowest surface only


def test_geojson_buildings(db_sessions: sessionmaker[Session], source: str, tmp_path: Path) -> None:
    def feature(fid: str | None, lng: float, props: dict[str, object]) -> dict[str, object]:
        ring = [[lng, 35.70], [lng + 0.0003, 35.70], [lng + 0.0003, 35.7002], [lng, 35.70]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
        return {"type": "Feature", "id": fid, "properties": props, "geometry": geometry}

    doc = {
        "type": "FeatureCollection",
        "features": [
            feature("a", 139.70, {"h": 21.5}),
            feature("b", 139.701, {"h": "15 m", "name": "B"}),
            feature(None, 139.702, {}),  # default height
            {"type": "Feature", "properties": {"h": 3}, "geometry": None},  # skipped
        ],
    }
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps(doc))
    buildings, stats = read_geojson_buildings(path, height_attribute="h", default_height=7)
    assert stats.kept == 3 and stats.skipped == {"no usable geometry": 1}
    with session_scope(db_sessions) as session:
        write_buildings(session=session, source=source, buildings=buildings)
    assert {k: v[0] for k, v in _rows(db_sessions, source).items()} == {
        "a": 21.5,
        "b": 15.0,
        "feature/2": 7.0,
    }


@pytest.mark.parametrize(
    ("name", "body", "reader"),
    [
        ("broken.gml", "<core:CityModel xmlns:core='x'><a>", "plateau"),
        ("notxml.gml", "{}", "plateau"),
        ("broken.geojson", '{"type": "FeatureCollection", "features": [', "geojson"),
        ("list.geojson", "[1, 2]", "geojson"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, name: str, body: str, reader: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(ImportFileError, match=name):
        if reader == "plateau":
            read_citygml_buildings(path)
        else:
            read_geojson_buildings(path, height_attribute="h")


def test_a_failure_half_way_leaves_the_database_as_it_was(
    db_sessions: sessionmaker[Session], source: str
) -> None:
    good, _ = read_citygml_buildings(FIXTURES / "plateau_small.gml")
    with session_scope(db_sessions) as session:
        write_buildings(session=session, source=source, buildings=good)
    before = counts(db_sessions, source)
    absurd = Building("too-high", good[0].footprint, height_m=5e7)  # beyond the ID's range
    with pytest.raises(ValueError, match="too-high"), session_scope(db_sessions) as session:
        write_buildings(session=session, source=source, buildings=[*good[1:], absurd])
    assert counts(db_sessions, source) == before
    assert set(_rows(db_sessions, source)) == {b.ref for b in good}
