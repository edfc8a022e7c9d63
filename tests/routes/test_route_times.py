"""Route times are datetimes end to end, sent as RFC 3339 UTC with milliseconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from api.app import create_app
from api.route_schemas import route_out
from api.settings import Settings
from planning.routes import Planned, route_volumes
from routing.ground import GroundNetwork
from routing.ground_search import GroundPlanner
from routing.route import rfc3339, rfc3339_text, utc_ms
from routing.synthetic import grid_network
from routing.timegrid import SLACK_MS
from tests.routing.test_ground import LAT, LNG, ROBOT, node


def test_utc_ms_is_the_millisecond_the_stamp_names() -> None:
    rng = random.Random(4)
    for t in [
        0.0,
        0.0005,
        1.9995,
        1_800_000_000.1234,
        -1.5,
        *(rng.uniform(1.7e9, 2.0e9) for _ in range(2000)),
    ]:
        for up in (False, True):
            d = utc_ms(t, up=up)
            assert d.tzinfo is UTC and d.microsecond % 1000 == 0
            assert datetime.fromisoformat(rfc3339(t, up=up)) == d  # the text names it
            slack = SLACK_MS / 1000 + 1e-6  # the grid forgives float noise below a microsecond
            assert (d.timestamp() <= t + slack) if not up else (d.timestamp() >= t - slack)
    assert rfc3339(0.0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(0.0004, up=True) == "1970-01-01T00:00:00.001Z"


def test_the_route_body_sends_the_same_text_as_the_route() -> None:
    g = grid_network(LNG, LAT, 4, 37.3)
    r = GroundPlanner(GroundNetwork(g), ROBOT).plan(
        node(g, (0, 0)), node(g, (3, 2)), 1_800_000_000.1237
    )
    out = route_out(Planned(r, "ground", 23))
    assert isinstance(out.departure, datetime) and isinstance(out.times[0], datetime)
    body = out.model_dump(mode="json")
    plain = r.to_dict()
    assert body["spatial_ids"] == plain["spatial_ids"]
    assert body["times"] == plain["geometry"]["properties"]["times"]
    assert body["departure"] == plain["departure_time"] == "2027-01-15T08:00:00.123Z"
    assert body["arrival"] == plain["arrival_time"]
    vols = route_volumes(r)
    assert vols and all(
        isinstance(v.time_start, datetime) and isinstance(v.time_end, datetime) and v.spatial_ids
        for v in vols
    )
    windows = {(w["id"], w["time_start"], w["time_end"]) for w in body["spatial_ids"]}
    assert {
        (v.spatial_ids[0], rfc3339_text(v.time_start), rfc3339_text(v.time_end))
        for v in vols
        if v.spatial_ids and v.time_start and v.time_end
    } <= windows


def test_the_openapi_says_route_times_are_date_times() -> None:
    spec = create_app(
        Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    ).openapi()["components"]["schemas"]
    route = spec["RouteOut"]["properties"]
    assert route["departure"]["format"] == route["arrival"]["format"] == "date-time"
    assert route["times"]["items"]["format"] == "date-time"
    assert spec["StId"]["properties"]["time_end"]["format"] == "date-time"
