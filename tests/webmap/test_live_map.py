"""The live map in Debian's Chromium: vehicles move as their fixes arrive, coloured by how
their flights conform, and an off-plan flight is listed as an alert for its operator and
for the municipality whose jurisdiction holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import spatialid
from tests.webmap.conftest import CHROMIUM, City
from tests.webmap.test_webmap import open_map

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make test installs Debian's chromium)"
)
Z = 20
SPOT = (24.9420, 60.1715, 50.0)
"""Near the map's first view, clear of the city fixture's reservation and restriction."""
LIVE = """(id) => { const f = window.kukanMap.querySourceFeatures('live')
    .find((g) => g.properties.vehicle_id === id);
    return f ? [f.geometry.coordinates, f.properties.conformance, f.properties.alert] : null; }"""


def _flight(live_server: str, token: str) -> tuple[str, spatialid.Voxel]:
    """A fast drone of the city operator with one z20 voxel booked around now."""
    auth = {"Authorization": f"Bearer {token}"}
    v = spatialid.lnglat_to_voxel(*SPOT, Z)
    now = datetime.now(UTC)
    with httpx.Client(base_url=live_server, timeout=30) as c:
        r = c.post(
            "/v1/vehicles",
            headers=auth,
            json={"name": "live-quad", "kind": "drone", "max_speed_mps": 100},
        )
        assert r.status_code == 201, r.text
        vid = str(r.json()["id"])
        body = {
            "vehicle_id": vid,
            "volumes": [
                {
                    "spatial_ids": [str(v)],
                    "time_start": (now - timedelta(minutes=1)).isoformat(),
                    "time_end": (now + timedelta(hours=1)).isoformat(),
                }
            ],
        }
        r = c.post("/v1/reservations", headers=auth, json=body)
        assert r.status_code == 201, r.text
    return vid, v


def _fix(live_server: str, token: str, vid: str, lng: float, lat: float, alt: float) -> str:
    with httpx.Client(base_url=live_server, timeout=30) as c:
        fix = {
            "vehicle_id": vid,
            "time": datetime.now(UTC).isoformat(),
            "lng": lng,
            "lat": lat,
            "alt_m": alt,
        }
        r = c.post(
            "/v1/telemetry", headers={"Authorization": f"Bearer {token}"}, json={"fixes": [fix]}
        )
        assert r.status_code == 200, r.text
        (result,) = r.json()["results"]
        assert result["status"] == "accepted", result
        return str(result["conformance"])


def _wait_for(pg: Any, vid: str, state: str) -> list[Any]:
    pg.wait_for_function(
        f"(id) => {{ const f = ({LIVE})(id); return f && f[1] === {state!r}; }}",
        arg=vid,
        timeout=10_000,
    )
    found: list[Any] = pg.evaluate(LIVE, vid)
    return found


def test_vehicles_move_and_off_plan_flights_are_alerts(
    browser: Any, live_server: str, city: City
) -> None:
    vid, v = _flight(live_server, city.operator_token)
    lng, lat, alt = spatialid.voxel_center(v)
    context, pg, watch = open_map(browser, live_server, city.operator_token)
    town_context, town, town_watch = open_map(browser, live_server, city.town_token)
    try:
        assert _fix(live_server, city.operator_token, vid, lng, lat, alt) == "activated"
        coords, _, alert = _wait_for(pg, vid, "activated")
        assert coords[:2] == pytest.approx([lng, lat], abs=1e-6) and alert is False
        assert pg.get_attribute("#live-panel", "data-alerts") == "0"
        off = lng + 0.001  # about 55 m east, outside the voxel
        assert _fix(live_server, city.operator_token, vid, off, lat, alt) == "nonconforming"
        coords, _, alert = _wait_for(pg, vid, "nonconforming")
        assert coords[0] == pytest.approx(off, abs=1e-6) and alert is True  # moved; an alert
        row = pg.locator(f"#live-alerts li[data-vehicle='{vid}']")
        row.wait_for(timeout=10_000)
        assert "off plan" in row.inner_text()
        colour = pg.evaluate(
            """(id) => window.kukanMap.queryRenderedFeatures({ layers: ['live-vehicles'] })
                .some((f) => f.properties.vehicle_id === id)""",
            vid,
        )
        assert colour, "the vehicle is not drawn on the live layer"
        # the municipality governing the spot lists the same alert
        _wait_for(town, vid, "nonconforming")
        town.locator(f"#live-alerts li[data-vehicle='{vid}']").wait_for(timeout=10_000)
        assert not watch.errors, watch.errors
        assert not town_watch.errors, town_watch.errors
    finally:
        context.close()
        town_context.close()
