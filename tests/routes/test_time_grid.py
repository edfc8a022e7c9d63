"""One time grid: planned fleets never overlap at voxel hand-offs once published on whole
milliseconds, and the same fleet books without contesting itself."""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import combinations
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from planning import fleet_routes
from registry.db import session_scope
from registry.models import Principal
from registry.services import reservations
from routing.route import utc_ms
from routing.timegrid import ms_ceil, ms_floor, widen
from tests.conftest import Key, unique
from tests.platform.test_cli import kukan
from tests.routes.conftest import Roads
from tests.routes.helpers import (
    at,
    offset,
    overlapping_pairs,
    route_windows_overlap,
    vehicle,
)

CROSS = {"west_east": [(-100, 0), (0, 0), (100, 0)], "south_north": [(0, -100), (0, 100)]}
"""Two footways crossing at a shared node (metres east and north of the centre)."""
TRIPS = [((-95, 0), (95, 0)), ((0, -95), (0, 95))]
"""Two robots meeting at the crossing at the same time: one waits for the other."""


@pytest.fixture(scope="module")
def crossing(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Roads:
    """The crossing footways, imported as a fresh source."""
    centre = (random.uniform(140.0, 150.0), random.uniform(-40.0, -30.0))
    nodes, ways, refs_at = [], [], {}
    for k, pts in enumerate(CROSS.values()):
        refs = []
        for e, n in pts:
            if (e, n) not in refs_at:
                refs_at[(e, n)] = len(refs_at) + 1
                lng, lat = offset(*centre, e, n)
                nodes.append(
                    f'<node id="{refs_at[(e, n)]}" version="1" lat="{lat:.7f}" lon="{lng:.7f}"/>'
                )
            refs.append(f'<nd ref="{refs_at[(e, n)]}"/>')
        ways.append(
            f'<way id="{100 + k}" version="1">{"".join(refs)}<tag k="highway" v="footway"/></way>'
        )
    path = tmp_path_factory.mktemp("cross") / "cross.osm"
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes + ways)}</osm>')
    source = unique("crossing")
    r = kukan("import", "osm", str(path), "--source", source, "--no-buildings", url=database_url)
    assert r.returncode == 0, r.stdout + r.stderr
    return Roads(source, centre)


def _fleet(
    client: httpx.Client, key: Key, robots: list[str], roads: Roads, t: str, reserve: bool
) -> list[dict[str, Any]]:
    requests = [
        {
            "vehicle_id": vid,
            "origin": roads.at(*o),
            "destination": roads.at(*d),
            "departure_time": t,
            "source": roads.source,
            "reserve": reserve,
        }
        for vid, (o, d) in zip(robots, TRIPS, strict=True)
    ]
    r = client.post("/v1/fleets/routes", headers=key.headers, json={"requests": requests})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def test_grid_rounding_forgives_float_noise() -> None:
    t = 1_900_000_000.151
    assert ms_floor(t) == ms_ceil(t) == 1_900_000_000_151
    assert ms_floor(t + 0.0004) == 1_900_000_000_151 and ms_ceil(t + 0.0004) == 1_900_000_000_152
    assert widen(float("-inf"), float("inf")) == (float("-inf"), float("inf"))
    s, e = widen(t + 0.0004, t + 0.0006)
    assert (ms_floor(s), ms_ceil(e)) == (1_900_000_000_151, 1_900_000_000_152)


def test_a_fleet_following_itself_never_overlaps_at_hand_offs(
    client: httpx.Client,
    make_key: Callable[..., Key],
    crossing: Roads,
    db_sessions: sessionmaker[Session],
) -> None:
    key = make_key("fleet")
    # an odd speed, so hand-offs fall between milliseconds
    robots = [vehicle(client, key.headers, kind="robot", max_speed_mps=1.337) for _ in TRIPS]
    planned = _fleet(client, key, robots, crossing, at(400), reserve=False)
    assert all(x["ok"] for x in planned), [(x["reason"], x["detail"]) for x in planned]
    for a, b in combinations(planned, 2):
        assert route_windows_overlap(a["route"]["spatial_ids"], b["route"]["spatial_ids"]) == 0
    booked = _fleet(client, key, robots, crossing, at(500), reserve=True)
    assert [x["reason"] for x in booked] == [None] * len(TRIPS), [x["detail"] for x in booked]
    ids = [x["reservation"]["id"] for x in booked]
    with session_scope(db_sessions) as s:
        assert overlapping_pairs(s, ids) == 0


def _book_a_voxel_of(route: Any, sessions: sessionmaker[Session], actor: Key) -> str:
    """Another operator books the middle voxel of ``route`` for its window (committed)."""
    voxel, t0, t1 = route.windows()[len(route.windows()) // 2]
    with session_scope(sessions) as s:
        made = reservations.create_reservation(
            session=s,
            actor=s.get(Principal, actor.principal_id),
            volumes=[
                reservations.VolumeRequest(
                    spatial_ids=[str(voxel)], time_start=utc_ms(t0), time_end=utc_ms(t1, up=True)
                )
            ],
        )
        return str(made.reservation.id)


def test_an_item_whose_check_fails_is_planned_again_against_the_real_state(
    inproc_client: httpx.Client,
    make_key: Callable[..., Key],
    crossing: Roads,
    db_sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another operator books a voxel of one planned route after the fleet was planned,
    before the route's check (a race lost at the booking itself is in test_route_races).
    The real planner runs (in this process: the in-process server) and the competing
    booking is real; the seam picks the moment."""
    client = inproc_client
    key, other = make_key("fleet"), make_key("operator")
    robots = [vehicle(client, key.headers, kind="robot", max_speed_mps=1.337) for _ in TRIPS]
    taken: list[str] = []
    plan = fleet_routes.plan_fleet

    def plan_then_race(*args: Any, **kwargs: Any) -> Any:
        result = plan(*args, **kwargs)
        taken.append(_book_a_voxel_of(result.routes["1"], db_sessions, other))
        return result

    monkeypatch.setattr(fleet_routes, "plan_fleet", plan_then_race)
    booked = _fleet(client, key, robots, crossing, at(600), reserve=True)
    assert taken, "the competing booking was not made"
    assert [x["reason"] for x in booked] == [None, None], [x["detail"] for x in booked]
    ids = [x["reservation"]["id"] for x in booked]
    with session_scope(db_sessions) as s:
        assert overlapping_pairs(s, [*ids, *taken]) == 0
