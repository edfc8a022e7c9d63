"""One arm without the database: ``none`` (A0), ``cells`` (A1) or ``volumes`` (A2).

Each flight of the demand asks, in request order, for its straight path at cruise height
(origin to destination at its speed); the arm's book gives it a departure delay or rejects
it (``none`` takes everyone at once); an accepted flight is then flown with the scenario's
errors (a rogue flies straight when it asked, whatever it was given) and the flown tracks
are searched for losses of separation. The voxel arms plan and book through Kukan itself
and come with the database runner.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulation.coarse_book import CellBook, VolumeBook
from simulation.demand import FlightRequest, Scenario, frame_of, generate
from simulation.flying import Errors, Track, fly, fly_rogue
from simulation.separation import HORIZONTAL_M, VERTICAL_M, Episode, losses_in_steps

COARSE_ARMS = ("none", "cells", "volumes")


def straight_plan(f: FlightRequest, scenario: Scenario, delay_s: float = 0.0) -> np.ndarray:
    """The flight's straight path as a plan ``(2, 4)``: ``t, x, y, z`` in the local frame."""
    frame = frame_of(scenario)
    xs, ys = frame.to_m(
        np.array([f.origin[0], f.destination[0]]), np.array([f.origin[1], f.destination[1]])
    )
    length = float(math.hypot(xs[1] - xs[0], ys[1] - ys[0]))
    t0 = f.request_s + delay_s
    t1 = t0 + max(length / f.speed_mps, 1.0)
    return np.array([[t0, xs[0], ys[0], f.origin[2]], [t1, xs[1], ys[1], f.destination[2]]])


def _steps(tracks: list[Track]) -> Any:
    """Per second: the ids of the tracks flying and their positions."""
    if not tracks:
        return
    first = min(t.start for t in tracks)
    last = max(t.end for t in tracks)
    order = sorted(range(len(tracks)), key=lambda i: tracks[i].start)
    live: list[int] = []
    k = 0
    for step in range(first, last + 1):
        while k < len(order) and tracks[order[k]].start <= step:
            live.append(order[k])
            k += 1
        live = [i for i in live if tracks[i].end >= step]
        ids = np.array(live, dtype=np.int64)
        pts = np.array([tracks[i].xyz[step - tracks[i].start] for i in live]).reshape(-1, 3)
        yield ids, pts


def _delays(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "p95": 0.0, "max": 0.0}
    arr = np.array(values)
    return {
        "mean": round(float(arr.mean()), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "max": round(float(arr.max()), 3),
    }


def run_coarse_arm(
    arm: str, scenario: Scenario, flights: list[FlightRequest] | None = None
) -> dict[str, Any]:
    """The arm's metrics on the scenario's demand (drawn from its seed unless given)."""
    if arm not in COARSE_ARMS:
        raise ValueError(f"arm must be one of {', '.join(COARSE_ARMS)}, got {arm!r}")
    flights = generate(scenario) if flights is None else flights
    errors = Errors(scenario.lateral_sigma_m, scenario.vertical_sigma_m, scenario.speed_sigma_mps)
    cells, volumes = CellBook(), VolumeBook()
    tracks: list[Track] = []
    delays: list[float] = []
    tries: list[int] = []
    rejected = 0
    for f in flights:
        plan = straight_plan(f, scenario)
        if arm == "none":
            delay: float | None = 0.0
            tries.append(1)
        else:
            slot = (
                cells.book(plan[:, 1:], plan[0, 0], plan[1, 0] - plan[0, 0])
                if arm == "cells"
                else volumes.book(plan)
            )
            delay = slot.delay_s
            tries.append(slot.tries)
        if delay is None:
            rejected += 1
            continue
        delays.append(delay)
        rng = np.random.default_rng([scenario.seed, f.index])
        if f.rogue:
            tracks.append(
                fly_rogue(
                    tuple(plan[0, 1:]),
                    tuple(plan[1, 1:]),
                    request_s=f.request_s,
                    speed_mps=f.speed_mps,
                )
            )
        else:
            shifted = plan + np.array([delay, 0, 0, 0])
            tracks.append(
                fly(
                    shifted,
                    speed_mps=f.speed_mps,
                    errors=errors,
                    rng=rng,
                    departure_delay_s=f.departure_delay_s,
                )
            )
    episodes: list[Episode] = losses_in_steps(_steps(tracks), HORIZONTAL_M, VERTICAL_M)
    hours = sum(len(t.xyz) for t in tracks) / 3600.0
    return {
        "requested": len(flights),
        "accepted": len(flights) - rejected,
        "rejected": rejected,
        "los_events": len(episodes),
        "los_per_flight_hour": round(len(episodes) / hours, 4) if hours else 0.0,
        "flight_hours": round(hours, 3),
        "delay_s": _delays(delays),
        "booking_tries": _delays([float(t) for t in tries]),
        "conformance": None,
    }
