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

from registry.errors import InvalidInput
from registry.services.datums import Converter, altitude_converter
from spatialid.geoid import Geoid, GeoidUnavailable, find_grid
from tests.conftest import Key, unique
from tests.platform.datums_support import problem, square

TOKYO = (139.7671, 35.6812)


def _oracle_n(lng: float, lat: float) -> float:
    """N from PROJ's own CRS path (EPSG:4979 -> WGS84 + EGM96 height), not our pipeline."""
    grid = find_grid()
    assert grid is not None
    pyproj.datadir.append_data_dir(str(grid.parent))
    t = pyproj.Transformer.from_crs("EPSG:4979", "EPSG:4326+5773", always_xy=True)
    _, _, h_msl = t.transform(lng, lat, 100.0)
    return float(100.0 - h_msl)


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
    area = square(*TOKYO)
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
    area = square(*TOKYO, 0.0005)
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
                    "geometry": square(*TOKYO),
                    "altitude_lower": 30,
                    "altitude_upper": 60,
                    "zoom": 20,
                    "altitude_datum": "AGL",
                    **window,
                }
            ]
        },
    )
    body = problem(r, 422, "volumes[0].altitude_datum")
    assert "terrain" in body["detail"]
    # a datum on spatial IDs, which carry their own
    r = client.post(
        "/v1/reservations",
        headers=operator_key.headers,
        json={
            "volumes": [{"spatial_ids": ["20/0/931277/412948"], "altitude_datum": "MSL", **window}]
        },
    )
    problem(r, 422, "volumes[0].altitude_datum")
    # an unknown datum
    r = client.post(
        "/v1/spatial-ids/cover",
        json={
            "geometry": square(*TOKYO),
            "zoom": 18,
            "altitude_lower": 0,
            "altitude_upper": 10,
            "altitude_datum": "EGM2008",
        },
    )
    problem(r, 422, "altitude_datum")


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
    problem(r, 422, "origin.altitude_datum")


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
