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
import time
from typing import Any

import numpy as np

from simulation.coarse_book import CellBook, Slot, VolumeBook, crossed_cells
from simulation.demand import FlightRequest, Scenario, frame_of, generate
from simulation.flying import Track, errors_of, fly, fly_rogue
from simulation.metrics import NEEDED_M3, ArmRecord

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


def _inside_cells(
    track: Track,
    cells: set[tuple[int, int]],
    cell_m: float,
    band: tuple[float, float],
    window: tuple[float, float],
) -> int:
    """Seconds of ``track`` inside its locked cells, band and window."""
    t = track.start + np.arange(len(track.xyz))
    cx = np.floor(track.xyz[:, 0] / cell_m).astype(np.int64)
    cy = np.floor(track.xyz[:, 1] / cell_m).astype(np.int64)
    mine = np.array([(a, b) in cells for a, b in zip(cx.tolist(), cy.tolist(), strict=True)])
    z = track.xyz[:, 2]
    ok = mine & (band[0] <= z) & (z <= band[1]) & (window[0] <= t) & (t < window[1])
    return int(ok.sum())


def _inside_boxes(track: Track, boxes: np.ndarray) -> int:
    """Seconds of ``track`` inside one of its leg boxes (x, y, z ranges and window)."""
    t = track.start + np.arange(len(track.xyz))
    p = np.column_stack([track.xyz, t])[:, None, :]
    lo, hi = boxes[None, :, 0::2], boxes[None, :, 1::2]
    return int(np.any(np.all((lo <= p) & (p <= hi), axis=2), axis=1).sum())


def run_coarse_arm(
    arm: str, scenario: Scenario, flights: list[FlightRequest] | None = None
) -> dict[str, Any]:
    """The arm's metrics on the scenario's demand (drawn from its seed unless given)."""
    if arm not in COARSE_ARMS:
        raise ValueError(f"arm must be one of {', '.join(COARSE_ARMS)}, got {arm!r}")
    flights = generate(scenario) if flights is None else flights
    errors = errors_of(scenario)
    cells, volumes = CellBook(), VolumeBook()
    band = (scenario.band_m[0] - cells.band_pad_m, scenario.band_m[1] + cells.band_pad_m)
    record = ArmRecord(requested=len(flights))
    for f in flights:
        plan = straight_plan(f, scenario)
        duration = float(plan[1, 0] - plan[0, 0])
        t0 = time.perf_counter()
        if arm == "none":
            slot = Slot(0.0, 1)
        elif arm == "cells":
            slot = cells.book(plan[:, 1:], plan[0, 0], duration)
        else:
            slot = volumes.book(plan)
        record.latencies_s.append(time.perf_counter() - t0)
        record.tries.append(slot.tries)
        if slot.delay_s is None:
            record.rejected += 1
            continue
        delay = slot.delay_s
        record.delays_s.append(delay)
        rng = np.random.default_rng([scenario.seed, f.index])
        if f.rogue:
            track = fly_rogue(
                tuple(plan[0, 1:]), tuple(plan[1, 1:]), request_s=f.request_s, speed_mps=f.speed_mps
            )
        else:
            track = fly(
                plan + np.array([delay, 0, 0, 0]),
                speed_mps=f.speed_mps,
                errors=errors,
                rng=rng,
                departure_delay_s=f.departure_delay_s,
            )
        record.tracks.append(track)
        record.used_m3s += len(track.xyz) * NEEDED_M3
        length = float(np.hypot(*(plan[1, 1:3] - plan[0, 1:3])))
        record.planned_m += length
        record.direct_m += length
        if arm == "cells":
            mine = crossed_cells(plan[:, 1:], cells.cell_m)
            window = (plan[0, 0] + delay, plan[0, 0] + delay + duration)
            record.inside_s += _inside_cells(track, mine, cells.cell_m, band, window)
            record.judged_s += len(track.xyz)
            record.locked_m3s += len(mine) * cells.cell_m**2 * (band[1] - band[0]) * duration
        elif arm == "volumes":
            boxes = volumes.boxes(plan, delay)
            record.inside_s += _inside_boxes(track, boxes)
            record.judged_s += len(track.xyz)
            d = boxes[:, 1::2] - boxes[:, 0::2]
            record.locked_m3s += float(np.prod(d, axis=1).sum())
    return record.result()
