"""``kukan import``, ``kukan id`` and ``kukan demo load`` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from tests.conftest import unique
from tests.importers.conftest import FIXTURES
from tests.pgtools import drop_database, recreate_database, with_database
from tests.platform.test_cli import kukan


def _obstacles(url: str) -> int:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM obstacles"))
    engine.dispose()
    return int(n or 0)


@pytest.mark.parametrize(
    ("kind", "name", "body"),
    [
        ("buildings", "bad.geojson", '{"type": "FeatureCollection", "features": [{'),
        ("osm", "bad.osm.pbf", "this is not a protocol buffer"),
        ("osm", "bad.geojson", "{}"),
        ("plateau", "bad.gml", "<core:CityModel><bldg:Building>"),
        ("plateau", "missing.gml", None),
    ],
)
def test_bad_files_give_one_line_and_change_nothing(
    database_url: str, tmp_path: Path, kind: str, name: str, body: str | None
) -> None:
    path = tmp_path / name
    if body is not None:
        path.write_text(body)
    before = _obstacles(database_url)
    extra = ["--height-attribute", "height"] if kind == "buildings" else []
    r = kukan("import", kind, str(path), *extra, "--source", unique("bad"), url=database_url)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kukan: error: ") and name in lines[0], r.stderr
    assert _obstacles(database_url) == before


def test_import_plateau_twice_replaces(database_url: str) -> None:
    source = unique("cli-plateau")
    gml = str(FIXTURES / "plateau_small.gml")
    r = kukan("import", "plateau", gml, "--source", source, url=database_url)
    assert r.returncode == 0, r.stderr
    assert "imported 3 buildings" in r.stdout and "replaced 0 buildings" in r.stdout
    before = _obstacles(database_url)
    r = kukan("import", "plateau", gml, "--source", source, url=database_url)
    assert r.returncode == 0, r.stderr
    assert "replaced 3 buildings" in r.stdout and _obstacles(database_url) == before
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM obstacles WHERE source = :s"), {"s": source})
    engine.dispose()


def test_id_commands(database_url: str, tmp_path: Path) -> None:
    r = kukan("id", "encode", "139.7671", "35.6812", "10", "--zoom", "20", url=database_url)
    assert r.returncode == 0 and r.stdout.strip() == "20/0/931389/412906"
    r = kukan("id", "decode", "20/0/931389/412906", url=database_url)
    assert r.returncode == 0 and "0 m to 32 m" in r.stdout and "centre:" in r.stdout
    area = tmp_path / "area.geojson"
    ring = [[139.76, 35.68], [139.761, 35.68], [139.761, 35.681], [139.76, 35.681], [139.76, 35.68]]
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    args = ("id", "cover", str(area), "--zoom", "20", "--alt-lower", "0", "--alt-upper", "64")
    full = kukan(*args, url=database_url)
    compact = kukan(*args, "--compact", url=database_url)
    assert full.returncode == compact.returncode == 0
    ids = full.stdout.split()
    assert len(ids) > 8 and all(i.startswith("20/") for i in ids)
    assert 0 < len(compact.stdout.split()) < len(ids)
    for bad in (["id", "decode", "20/0/x/1"], ["id", "encode", "1", "2", "3"]):
        r = kukan(*bad, url=database_url)
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "osm"],
        ["import", "buildings"],
        ["import", "plateau"],
        ["id"],
        ["id", "encode"],
        ["id", "decode"],
        ["id", "cover"],
    ],
)
def test_help_has_an_example(database_url: str, args: list[str]) -> None:
    r = kukan(*args, "--help", url=database_url)
    assert r.returncode == 0 and "example: kukan " in r.stdout


@pytest.fixture()
def scratch_url(base_database_url: str) -> Iterator[str]:
    name = f"{make_url(base_database_url).database}_demo_{uuid.uuid4().hex[:8]}"
    url = with_database(base_database_url, name)
    recreate_database(url)
    yield url
    drop_database(url)


def test_demo_load_is_complete_and_idempotent(scratch_url: str, tmp_path: Path) -> None:
    keys_file = tmp_path / "demo-keys.json"
    assert kukan("db", "upgrade", url=scratch_url).returncode == 0
    r = kukan("demo", "load", "--if-empty", url=scratch_url, KUKAN_DEMO_KEYS_FILE=str(keys_file))
    assert r.returncode == 0, r.stderr
    assert "OpenStreetMap contributors" in r.stdout
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text())
    assert set(keys["tokens"]) == {"operator", "municipality", "admin"}
    assert keys["fleet"]["token"].startswith("kukan_")
    engine = create_engine(scratch_url, poolclass=pool.NullPool)
    query = """SELECT (SELECT count(*) FROM obstacles), (SELECT count(*) FROM road_edges),
        (SELECT count(*) FROM reservations WHERE state = 'accepted'),
        (SELECT count(*) FROM restrictions), (SELECT count(*) FROM vehicles),
        (SELECT count(*) FROM principals)"""
    with engine.connect() as conn:
        first = tuple(conn.execute(text(query)).one())
    assert first[0] == 446 and first[1] > 4000 and first[2] == 3 and first[3] == 1
    governs = """SELECT bool_and(ST_CoveredBy(r.geometry, p.jurisdiction))
        FROM restrictions r JOIN principals p ON p.id = r.principal_id
        WHERE p.role = 'municipality'"""
    with engine.begin() as conn:
        assert conn.execute(text(governs)).scalar_one() is True  # the town governs its city
        conn.execute(text("UPDATE principals SET jurisdiction = NULL"))  # as before 0010
    r = kukan("demo", "load", "--if-empty", url=scratch_url, KUKAN_DEMO_KEYS_FILE=str(keys_file))
    assert r.returncode == 0 and "nothing loaded" in r.stdout
    with engine.connect() as conn:
        assert conn.execute(text(governs)).scalar_one() is True  # given back on the next load
    r = kukan("demo", "load", url=scratch_url, KUKAN_DEMO_KEYS_FILE=str(keys_file))
    assert r.returncode == 0 and "already exists" in r.stdout
    with engine.connect() as conn:
        assert tuple(conn.execute(text(query)).one()) == first
    engine.dispose()
