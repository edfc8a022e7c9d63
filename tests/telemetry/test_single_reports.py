"""Single position reports sent at the same moment are stored together, yet each gets the
answer it would get alone: 201, 200 for a repeat, 404 for another operator's vehicle, 401
for a bad key, 422 for a bad fix."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Key
from tests.telemetry.helpers import flight


def test_reports_at_once_each_get_their_own_answer(
    live_server: str, make_key: Callable[..., Key]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    mine = [flight(httpx.Client(base_url=live_server), me) for _ in range(3)]
    theirs = flight(httpx.Client(base_url=live_server), other)
    t = datetime.now(UTC).replace(microsecond=0)
    jobs: list[tuple[str, dict[str, str], dict[str, Any], int]] = []
    for k, fl in enumerate(mine):
        lng, lat, alt = fl.point()
        body = {
            "time": (t + timedelta(seconds=k)).isoformat(),
            "lng": lng,
            "lat": lat,
            "alt_m": alt,
        }
        path = f"/v1/vehicles/{fl.vehicle_id}/positions"
        jobs += [(path, me.headers, body, 201), (path, other.headers, body, 404)]
        jobs.append((path, {"Authorization": "Bearer kukan_nope"}, body, 401))
        jobs.append((path, me.headers, {**body, "lat": 91}, 422))
    lng, lat, alt = theirs.point()
    body = {"time": t.isoformat(), "lng": lng, "lat": lat, "alt_m": alt}
    jobs.append((f"/v1/vehicles/{theirs.vehicle_id}/positions", other.headers, body, 201))

    def post(job: tuple[str, dict[str, str], dict[str, Any], int]) -> int:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            return c.post(job[0], headers=job[1], json=job[2]).status_code

    with ThreadPoolExecutor(len(jobs)) as pool:
        got = list(pool.map(post, jobs))
    assert got == [j[3] for j in jobs]
    with ThreadPoolExecutor(3) as pool:  # the same reports again: each a repeat
        again = list(pool.map(post, [j for j in jobs if j[3] == 201 and j[1] == me.headers]))
    assert again == [200, 200, 200]
    with httpx.Client(base_url=live_server, timeout=30) as c:
        r = c.get(f"/v1/vehicles/{mine[2].vehicle_id}/position", headers=me.headers)
        assert r.status_code == 200 and r.json()["time"].startswith(
            (t + timedelta(seconds=2)).isoformat()[:19]
        )
        assert (
            r.json()["conforming"] is True
            and r.json()["reservation_id"] == mine[2].reservation["id"]
        )
