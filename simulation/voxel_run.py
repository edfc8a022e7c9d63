"""One voxel arm on the database: ``voxels-delay`` (A3) or ``voxels`` (A4).

The run is one transaction that is never committed: a simulation operator and principal,
one vehicle per flight (a vehicle is in one place at a time), and every booking live only
inside it, so the real book never sees them, and the city's obstacles and restrictions are
the real ones. Simulated time starts at the epoch of a slot the run holds
(:func:`simulation.voxel_book.claim_epoch`). Each flight is booked in request order
(:class:`simulation.voxel_book.Booker`), flown with the scenario's errors along its route (a
rogue flies straight from its request), and its track, a fix a second, is judged by the live
conformance logic
(:func:`registry.services.telemetry_judge.judge`) against its own reservation.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from planning.caches import PlanningCaches
from registry.models import POSITION_VOXEL_ZOOM, Role
from registry.services import operators, principals, vehicles
from registry.services.telemetry_checks import Fix, TelemetryPolicy
from registry.services.telemetry_judge import judge
from routing import Route
from routing.route import segment_length_m
from simulation.coarse_run import straight_plan
from simulation.demand import FlightRequest, LocalFrame, Scenario, frame_of, generate
from simulation.flying import Track, errors_of, fly, fly_rogue
from simulation.metrics import NEEDED_M3, ArmRecord
from simulation.voxel_book import SIM_EPOCH, Booker, Outcome, claim_epoch
from spatialid import vectorized as sv
from spatialid import voxel_height

VOXEL_ARMS = ("voxels-delay", "voxels")
ZOOM = 20
"""Voxels of about 38 m at the equator (19 m in Helsinki) and 32 m high."""
JUDGE_BATCH = 64
"""Flights whose fixes are judged in one query."""
EARTH_CIRCUMFERENCE_M = 2 * math.pi * 6_378_137.0

Progress = Callable[[int, int], None]


def route_plan(route: Route, frame: LocalFrame, epoch: datetime = SIM_EPOCH) -> np.ndarray:
    """A route's waypoints as a plan ``(m, 4)``: simulated seconds and local metres."""
    w = np.array(route.waypoints, dtype=float)
    x, y = frame.to_m(w[:, 0], w[:, 1])
    t = w[:, 3] - epoch.timestamp()
    keep = np.concatenate([[True], np.diff(t) > 0])  # a hover keeps its first waypoint
    return np.column_stack([t, x, y, w[:, 2]])[keep]


def locked_m3s(route: Route) -> float:
    """The airspace-time a route's reservation locks: each window's voxel volume times its
    length."""
    total = 0.0
    for v, t0, t1 in route.windows():
        lat = math.atan(math.sinh(math.pi * (1 - 2 * (v.y + 0.5) / (1 << v.z))))
        side = EARTH_CIRCUMFERENCE_M * math.cos(lat) / (1 << v.z)
        total += side * side * voxel_height(v.z) * (t1 - t0)
    return total


def _setup(session: Session, flights: Sequence[FlightRequest], scenario: Scenario) -> Any:
    op = operators.create_operator(
        session=session, actor=None, name=f"simulation {uuid.uuid4().hex[:8]}"
    )
    actor = principals.create_principal(
        session=session, actor=None, name="simulation", role=Role.OPERATOR, operator_id=op.id
    ).principal
    lo, hi = scenario.band_m
    ids = []
    for f in flights:
        v = vehicles.create_vehicle(
            session=session,
            actor=actor,
            name=f"sim-{f.index}",
            kind="drone",
            max_speed_mps=f.speed_mps,
            attrs={"altitude_lower_m": lo, "altitude_upper_m": hi},
        )
        ids.append(v.id)
    session.flush()
    return actor, ids


def _fly(
    f: FlightRequest, got: Outcome, scenario: Scenario, frame: LocalFrame, epoch: datetime
) -> Track:
    if f.rogue:
        p = straight_plan(f, scenario)
        return fly_rogue(
            tuple(p[0, 1:]), tuple(p[1, 1:]), request_s=f.request_s, speed_mps=f.speed_mps
        )
    assert got.route is not None
    return fly(
        route_plan(got.route, frame, epoch),
        speed_mps=f.speed_mps,
        errors=errors_of(scenario),
        rng=np.random.default_rng([scenario.seed, f.index]),
        departure_delay_s=f.departure_delay_s,
    )


def _judge(
    session: Session, flown: list[tuple[uuid.UUID, Track]], frame: LocalFrame, epoch: datetime
) -> tuple[int, int]:
    """Seconds inside the flight's own reservation, and seconds judged."""
    fixes: list[Fix] = []
    for vehicle_id, tr in flown:
        lng, lat = frame.to_lnglat(tr.xyz[:, 0], tr.xyz[:, 1])
        for k in range(len(tr.xyz)):
            fixes.append(
                Fix(
                    vehicle_id,
                    epoch + timedelta(seconds=tr.start + k),
                    float(lng[k]),
                    float(lat[k]),
                    float(tr.xyz[k, 2]),
                )
            )
    if not fixes:
        return 0, 0
    f, x, y = sv.lnglat_to_voxel(
        [p.lng for p in fixes], [p.lat for p in fixes], [p.alt_m for p in fixes],
        POSITION_VOXEL_ZOOM,
    )  # fmt: skip
    verdicts = judge(session, fixes, list(range(len(fixes))), f, x, y, TelemetryPolicy())
    return sum(1 for v in verdicts.values() if v[3]), len(fixes)


def run_voxel_arm(
    arm: str,
    scenario: Scenario,
    sessions: sessionmaker[Session],
    flights: list[FlightRequest] | None = None,
    *,
    zoom: int = ZOOM,
    caches: PlanningCaches | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The arm's metrics on the scenario's demand (drawn from its seed unless given)."""
    if arm not in VOXEL_ARMS:
        raise ValueError(f"arm must be one of {', '.join(VOXEL_ARMS)}, got {arm!r}")
    flights = generate(scenario) if flights is None else flights
    frame = frame_of(scenario)
    caches = caches or PlanningCaches.create(grid_cache_mb=256)
    record = ArmRecord(requested=len(flights))
    with sessions() as session:
        try:
            actor, vehicle_ids = _setup(session, flights, scenario)
            # PostgreSQL's statistics never see the run's own uncommitted rows: left to
            # them, it would scan the growing book row by row instead of its index
            session.execute(text("SET LOCAL enable_seqscan = off"))
            booker = Booker(
                session, actor, caches, zoom, scenario.band_m, epoch=claim_epoch(session)
            )
            flown: list[tuple[uuid.UUID, Track]] = []
            for n, f in enumerate(flights):
                got = booker.book(arm, f, vehicle_ids[n])
                record.tries.append(got.tries)
                record.latencies_s.append(got.latency_s)
                if got.delay_s is None or got.route is None:
                    record.rejected += 1
                    record.unplannable += got.unplannable
                else:
                    record.delays_s.append(got.delay_s)
                    track = _fly(f, got, scenario, frame, booker.epoch)
                    record.tracks.append(track)
                    flown.append((vehicle_ids[n], track))
                    record.locked_m3s += locked_m3s(got.route)
                    record.used_m3s += len(track.xyz) * NEEDED_M3
                    record.planned_m += got.route.length_m
                    w = got.route.waypoints
                    record.direct_m += segment_length_m(w[0], w[-1])
                if len(flown) >= JUDGE_BATCH or (n == len(flights) - 1 and flown):
                    inside, judged = _judge(session, flown, frame, booker.epoch)
                    record.inside_s += inside
                    record.judged_s += judged
                    flown = []
                if progress is not None:
                    progress(n + 1, len(flights))
        finally:
            session.rollback()
    h = voxel_height(zoom)
    lat0 = math.radians(frame.lat0)
    return record.result(voxel_m=(EARTH_CIRCUMFERENCE_M * math.cos(lat0) / (1 << zoom), h))
