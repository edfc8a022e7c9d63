"""Heights above the ground (AGL) over HTTP: a GeoTIFF DEM imported with `kukan import
terrain`, bands over it converted to W84, and a clear refusal of what is no DEM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from spatialid.geoid import Geoid
from tests.conftest import Key, unique
from tests.platform.datums_support import problem, square
from tests.platform.test_cli import kukan

# A DEM made for the test: 40 x 40 cells of 0.0005 deg over Hokkaido's Tokachi plain, its
# height rising 0.5 m per column from 100 m (MSL) in the west.
DEM_WEST, DEM_NORTH, DEM_STEP, DEM_CELLS = 143.2000, 42.9200, 0.0005, 40


def _dem_bytes(sessions: sessionmaker[Session]) -> bytes:
    """A GeoTIFF written by PostGIS: heights 100 + 0.5 * column (m, MSL)."""
    rows = [[100.0 + 0.5 * c for c in range(DEM_CELLS)] for _ in range(DEM_CELLS)]
    with sessions() as s:
        s.execute(text("SET LOCAL postgis.gdal_enabled_drivers = 'GTiff'"))
        data = s.execute(
            text(
                "SELECT ST_AsGDALRaster(ST_SetValues(ST_AddBand(ST_MakeEmptyRaster("
                " :n, :n, :w, :north, :step, -:step, 0, 0, 4326), '32BF'::text, 0, -9999),"
                " 1, 1, 1, CAST(:v AS double precision[][])), 'GTiff')"
            ),
            {"n": DEM_CELLS, "w": DEM_WEST, "north": DEM_NORTH, "step": DEM_STEP, "v": rows},
        ).scalar_one()
        s.rollback()
    return bytes(data)


def test_terrain_import_and_agl(
    client: httpx.Client,
    db_sessions: sessionmaker[Session],
    database_url: str,
    admin_key: Key,
    operator_key: Key,
    tmp_path: Path,
    geoid: Geoid,
) -> None:
    dem = tmp_path / "tokachi.tif"
    dem.write_bytes(_dem_bytes(db_sessions))
    r = kukan("import", "terrain", str(dem), "--source", "test-tokachi", url=database_url)
    assert r.returncode == 0, r.stderr
    assert "heights 100..119.5 m (MSL)" in r.stdout, r.stdout
    # a footprint over columns 4..11 (cell centres 102..105.5 m; the cells it touches
    # reach from column 3 to 12)
    west = DEM_WEST + 4 * DEM_STEP + DEM_STEP / 4
    south = DEM_NORTH - 20 * DEM_STEP
    area = square(west, south, 7 * DEM_STEP)
    from shapely.geometry import shape

    n_lo, n_hi = geoid.undulation_range(shape(area))
    r = client.post(
        "/v1/obstacles",
        headers=admin_key.headers,
        json={
            "geometry": area,
            "min_height_m": 0,
            "height_m": 20,
            "altitude_datum": "AGL",
            "source": unique("agl"),
            "zoom": 20,
        },
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["altitude_datum"] == "W84"
    lowest, highest = out["min_height_m"] - n_lo, out["height_m"] - 20 - n_hi
    assert 101.0 <= lowest <= 102.0, out  # the lowest ground under the footprint
    assert 105.5 <= highest <= 106.5, out  # the highest
    # a drone's origin on the ground (0 m AGL) lies on the DEM's bilinear surface
    v = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "agl", "kind": "drone", "max_speed_mps": 9},
    )
    x = DEM_WEST + 10.5 * DEM_STEP  # a cell centre: column 10, 105 m
    y = DEM_NORTH - 30.5 * DEM_STEP
    p = client.post(
        f"/v1/vehicles/{v.json()['id']}/positions",
        headers=operator_key.headers,
        json={
            "time": datetime.now(UTC).isoformat(),
            "lng": x,
            "lat": y,
            "alt_m": 0.0,
            "altitude_datum": "AGL",
        },
    )
    assert p.status_code == 201, p.text
    assert p.json()["alt_m"] == pytest.approx(105.0 + float(geoid.undulation(x, y)), abs=0.01)
    # partly outside the DEM: refused, not guessed
    r = client.post(
        "/v1/obstacles",
        headers=admin_key.headers,
        json={
            "geometry": square(DEM_WEST - 0.001, south, 0.002),
            "height_m": 20,
            "altitude_datum": "AGL",
            "source": unique("agl"),
        },
    )
    problem(r, 422, "altitude_datum")


def test_terrain_import_refuses_a_file_that_is_no_geotiff(
    database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "dem.tif"
    bad.write_bytes(b"II*\x00 not really")
    r = kukan("import", "terrain", str(bad), url=database_url)
    assert r.returncode != 0
    assert "not a readable GeoTIFF" in r.stderr, r.stderr
