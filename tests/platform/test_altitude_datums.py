"""Altitude datums over HTTP: heights above sea level (MSL) and above the ground (AGL) in,
ellipsoidal heights (W84) stored and answered, and clear refusals where no model applies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyproj
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.errors import InvalidInput
from registry.services.datums import Converter, altitude_converter
from spatialid.geoid import Geoid, GeoidUnavailable, find_grid
from tests.conftest import Key, unique
from tests.platform.test_cli import kukan

TOKYO = (139.7671, 35.6812)
# A DEM made for the test: 40 x 40 cells of 0.0005 deg over Hokkaido's Tokachi plain, its
# height rising 0.5 m per column from 100 m (MSL) in the west.
DEM_WEST, DEM_NORTH, DEM_STEP, DEM_CELLS = 143.2000, 42.9200, 0.0005, 40


def _oracle_n(lng: float, lat: float) -> float:
    """N from PROJ's own CRS path (EPSG:4979 -> WGS84 + EGM96 height), not our pipeline."""
    grid = find_grid()
    assert grid is not None
    pyproj.datadir.append_data_dir(str(grid.parent))
    t = pyproj.Transformer.from_crs("EPSG:4979", "EPSG:4326+5773", always_xy=True)
    _, _, h_msl = t.transform(lng, lat, 100.0)
    return float(100.0 - h_msl)


def _square(lng: float, lat: float, d: float = 0.002) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
        ],
    }


def _problem(r: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert field in str(body), body
    return body


@pytest.fixture(scope="module")
def geoid() -> Geoid:
    grid = find_grid()
    assert grid is not None, "no geoid grid: install Debian's proj-data (egm96_15.gtx)"
    return Geoid(grid)


def test_geoid_agrees_with_projs_crs_path(geoid: Geoid) -> None:
    for lng, lat in [TOKYO, (24.94, 60.17), (143.2, 42.9), (-74.0, 40.7)]:
        assert abs(float(geoid.undulation(lng, lat)) - _oracle_n(lng, lat)) < 1e-6
    # Tokyo's undulation is about 36-37 m (EGM96); Helsinki's about 17-18 m
    assert 35.5 < float(geoid.undulation(*TOKYO)) < 37.5
    assert 16.5 < float(geoid.undulation(24.94, 60.17)) < 19.0


def test_missing_or_unreadable_grid_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GeoidUnavailable, match="does not exist"):
        altitude_converter(tmp_path / "none.gtx")
    bad = tmp_path / "bad.gtx"
    bad.write_bytes(b"not a grid")
    with pytest.raises(GeoidUnavailable):
        Geoid(bad)
    from shapely import Point

    with pytest.raises(InvalidInput, match="geoid grid") as info:
        Converter(None).band(None, Point(*TOKYO), 0, 10, "MSL")  # type: ignore[arg-type]
    assert info.value.field == "altitude_datum"


def test_restriction_in_msl_is_stored_as_the_w84_band_holding_it(
    client: httpx.Client, make_key: Callable[..., Key], geoid: Geoid
) -> None:
    town = make_key("municipality")
    area = _square(*TOKYO)
    r = client.post(
        "/v1/restrictions",
        headers=town.headers,
        json={
            "geometry": area,
            "altitude_lower": 0,
            "altitude_upper": 150,
            "altitude_datum": "MSL",
            "reason": unique("msl"),
        },
    )
    assert r.status_code == 201, r.text
    out = r.json()
    n_lo, n_hi = geoid.undulation_range(__import__("shapely").geometry.shape(area))
    assert out["altitude_datum"] == "W84"
    assert out["altitude_lower"] == pytest.approx(0 + n_lo, abs=1e-6)
    assert out["altitude_upper"] == pytest.approx(150 + n_hi, abs=1e-6)
    n = _oracle_n(*TOKYO)
    assert out["altitude_lower"] <= n <= out["altitude_upper"] - 150
    assert n_hi - n_lo < 0.2  # over 200 m the geoid barely moves
    lifted = client.delete(f"/v1/restrictions/{out['id']}", headers=town.headers)
    assert lifted.is_success, lifted.text  # leave Tokyo free for the other tests


def test_position_in_msl_is_answered_in_w84(client: httpx.Client, operator_key: Key) -> None:
    v = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "msl", "kind": "drone", "max_speed_mps": 9},
    )
    assert v.status_code == 201, v.text
    r = client.post(
        f"/v1/vehicles/{v.json()['id']}/positions",
        headers=operator_key.headers,
        json={
            "time": datetime.now(UTC).isoformat(),
            "lng": TOKYO[0],
            "lat": TOKYO[1],
            "alt_m": 50.0,
            "altitude_datum": "MSL",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["altitude_datum"] == "W84"
    assert r.json()["alt_m"] == pytest.approx(50.0 + _oracle_n(*TOKYO), abs=1e-6)


def test_cover_and_occupancy_in_msl(client: httpx.Client, operator_key: Key) -> None:
    area = _square(*TOKYO, 0.0005)
    w84 = client.post(
        "/v1/spatial-ids/cover",
        json={"geometry": area, "zoom": 20, "altitude_lower": 36.5, "altitude_upper": 60},
    )
    msl = client.post(
        "/v1/spatial-ids/cover",
        json={
            "geometry": area,
            "zoom": 20,
            "altitude_lower": 0,
            "altitude_upper": 20,
            "altitude_datum": "MSL",
        },
    )
    assert w84.status_code == msl.status_code == 200, msl.text
    assert set(msl.json()["ids"]) <= set(w84.json()["ids"]) and msl.json()["ids"]
    q = client.post(
        "/v1/occupancy/query",
        headers=operator_key.headers,
        json={
            "geometry": area,
            "alt_lower": 0,
            "alt_upper": 20,
            "altitude_datum": "MSL",
            "zoom": 20,
        },
    )
    assert q.status_code == 200, q.text
    body = q.json()
    assert body["altitude_datum"] == "W84"
    assert body["alt_lower"] == pytest.approx(_oracle_n(*TOKYO), abs=0.05)
    g = client.get(
        "/v1/occupancy",
        headers=operator_key.headers,
        params={
            "bbox": f"{TOKYO[0]},{TOKYO[1]},{TOKYO[0] + 0.0005},{TOKYO[1] + 0.0005}",
            "alt_lower": 0,
            "alt_upper": 20,
            "altitude_datum": "MSL",
        },
    )
    assert g.status_code == 200, g.text
    assert g.json()["alt_lower"] == pytest.approx(_oracle_n(*TOKYO), abs=0.05)


def test_refusals_name_the_field(client: httpx.Client, operator_key: Key) -> None:
    start = datetime.now(UTC) + timedelta(hours=3)
    window = {
        "time_start": start.isoformat(),
        "time_end": (start + timedelta(minutes=5)).isoformat(),
    }
    # AGL where no terrain is imported
    r = client.post(
        "/v1/reservations",
        headers=operator_key.headers,
        json={
            "volumes": [
                {
                    "geometry": _square(*TOKYO),
                    "altitude_lower": 30,
                    "altitude_upper": 60,
                    "zoom": 20,
                    "altitude_datum": "AGL",
                    **window,
                }
            ]
        },
    )
    body = _problem(r, 422, "volumes[0].altitude_datum")
    assert "terrain" in body["detail"]
    # a datum on spatial IDs, which carry their own
    r = client.post(
        "/v1/reservations",
        headers=operator_key.headers,
        json={
            "volumes": [{"spatial_ids": ["20/0/931277/412948"], "altitude_datum": "MSL", **window}]
        },
    )
    _problem(r, 422, "volumes[0].altitude_datum")
    # an unknown datum
    r = client.post(
        "/v1/spatial-ids/cover",
        json={
            "geometry": _square(*TOKYO),
            "zoom": 18,
            "altitude_lower": 0,
            "altitude_upper": 10,
            "altitude_datum": "EGM2008",
        },
    )
    _problem(r, 422, "altitude_datum")


def test_empty_geometry_in_another_datum_is_refused(client: httpx.Client, admin_key: Key) -> None:
    """Schemathesis found these two as 500s: nothing to convert at."""
    empty = {"type": "Polygon", "coordinates": []}
    start = datetime.now(UTC) + timedelta(hours=3)
    r = client.post(
        "/v1/obstacles",
        headers=admin_key.headers,
        json={"geometry": empty, "height_m": 10, "kind": "building", "altitude_datum": "MSL"},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(
        "/v1/restrictions",
        headers=admin_key.headers,
        json={
            "geometry": empty,
            "altitude_lower": 0,
            "altitude_upper": 50,
            "altitude_datum": "MSL",
            "reason": "test",
            "time_start": start.isoformat(),
            "time_end": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


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
    area = _square(west, south, 7 * DEM_STEP)
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
            "geometry": _square(DEM_WEST - 0.001, south, 0.002),
            "height_m": 20,
            "altitude_datum": "AGL",
            "source": unique("agl"),
        },
    )
    _problem(r, 422, "altitude_datum")


def test_terrain_import_refuses_a_file_that_is_no_geotiff(
    database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "dem.tif"
    bad.write_bytes(b"II*\x00 not really")
    r = kukan("import", "terrain", str(bad), url=database_url)
    assert r.returncode != 0
    assert "not a readable GeoTIFF" in r.stderr, r.stderr


def test_route_waypoints_in_msl(client: httpx.Client, operator_key: Key) -> None:
    v = client.post(
        "/v1/vehicles",
        headers=operator_key.headers,
        json={"name": "msl-route", "kind": "drone", "max_speed_mps": 10},
    )
    depart = (datetime.now(UTC) + timedelta(hours=5)).isoformat()

    def plan(alt: float, datum: str) -> list[float]:
        r = client.post(
            "/v1/routes",
            headers=operator_key.headers,
            json={
                "vehicle_id": v.json()["id"],
                "departure_time": depart,
                "zoom": 21,
                "origin": {"lng": 139.70, "lat": 35.60, "alt": alt, "altitude_datum": datum},
                "destination": {"lng": 139.703, "lat": 35.60, "alt": alt, "altitude_datum": datum},
            },
        )
        assert r.status_code == 200, r.text
        route = r.json()["route"]
        assert route["altitude_datum"] == "W84"
        return [p[2] for p in route["geometry"]["coordinates"]]

    n = _oracle_n(139.70, 35.60)
    w84 = plan(40.0 + n, "W84")
    msl = plan(40.0, "MSL")
    assert msl == pytest.approx(w84, abs=1e-6)
    r = client.post(
        "/v1/routes",
        headers=operator_key.headers,
        json={
            "vehicle_id": v.json()["id"],
            "departure_time": depart,
            "origin": {"lng": 139.70, "lat": 35.60, "alt": 0, "altitude_datum": "AGL"},
            "destination": {"lng": 139.703, "lat": 35.60, "alt": 40},
        },
    )
    _problem(r, 422, "origin.altitude_datum")


def test_vehicles_state_their_altitude_band(client: httpx.Client, operator_key: Key) -> None:
    def band(**body: Any) -> dict[str, Any]:
        r = client.post(
            "/v1/vehicles",
            headers=operator_key.headers,
            json={"name": "band", "max_speed_mps": 5, **body},
        )
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()["altitude_band"]
        return out

    assert band(kind="drone") == {"lower": 0.0, "upper": 150.0, "datum": "W84", "default": True}
    assert band(kind="drone", altitude_upper_m=120) == {
        "lower": 0.0,
        "upper": 120.0,
        "datum": "W84",
        "default": False,
    }
    assert band(kind="robot") == {"lower": 0.0, "upper": 4.0, "datum": "W84", "default": True}
    assert band(kind="car", altitude_upper_m=50)["upper"] == 4.0
