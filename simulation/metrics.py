"""The metrics of one arm, under the names scripts rely on (see docs/simulation.md).

Every arm hands in the same things: the flown tracks, each flight's delay, booking tries
and latency, and what it measured of conformance and of the airspace-time it locked; this
module turns them into the arm's dictionary.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.flying import Track
from simulation.separation import HORIZONTAL_M, VERTICAL_M, Episode, losses_in_steps

COLLISION_PROXY_M = (2.0, 1.0)
"""Closer than this (horizontal, vertical) counts as a collision proxy."""
NEEDED_M3 = math.pi * (HORIZONTAL_M / 2) ** 2 * VERTICAL_M
"""The airspace a flight needs at each moment: half the separation minima around it."""


def steps_of(tracks: Sequence[Track]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per second: the indices of the tracks flying and their positions."""
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


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, 95th percentile and worst (zeros when there are none)."""
    if not values:
        return {"mean": 0.0, "p95": 0.0, "max": 0.0}
    arr = np.asarray(values, dtype=float)
    return {
        "mean": round(float(arr.mean()), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "max": round(float(arr.max()), 3),
    }


def severity(episodes: Sequence[Episode]) -> dict[str, float | int]:
    """How deep the losses went: the closest horizontal approach and the longest episode."""
    if not episodes:
        return {"min_horizontal_m": 0.0, "min_vertical_m": 0.0, "longest_s": 0}
    return {
        "min_horizontal_m": round(min(e.min_horizontal_m for e in episodes), 2),
        "min_vertical_m": round(min(e.min_vertical_m for e in episodes), 2),
        "longest_s": max(e.steps for e in episodes),
    }


@dataclass
class ArmRecord:
    """What an arm gathered while it ran, flight by flight."""

    requested: int
    tracks: list[Track] = field(default_factory=list)
    delays_s: list[float] = field(default_factory=list)
    tries: list[int] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    rejected: int = 0
    unplannable: int = 0
    inside_s: int = 0
    judged_s: int = 0
    used_m3s: float = 0.0
    locked_m3s: float = 0.0
    planned_m: float = 0.0
    direct_m: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def result(self, voxel_m: tuple[float, float] | None = None) -> dict[str, Any]:
        """The arm's metrics; ``voxel_m`` (side, height) adds the voxel-sized loss count."""
        hours = sum(len(t.xyz) for t in self.tracks) / 3600.0
        los = losses_in_steps(steps_of(self.tracks), HORIZONTAL_M, VERTICAL_M)
        proxy = losses_in_steps(steps_of(self.tracks), *COLLISION_PROXY_M)
        out: dict[str, Any] = {
            "requested": self.requested,
            "accepted": self.requested - self.rejected,
            "rejected": self.rejected,
            "unplannable": self.unplannable,
            "acceptance": round((self.requested - self.rejected) / self.requested, 4)
            if self.requested
            else 0.0,
            "los_events": len(los),
            "los_per_flight_hour": round(len(los) / hours, 4) if hours else 0.0,
            "los_severity": severity(los),
            "collision_proxy_events": len(proxy),
            "flight_hours": round(hours, 3),
            "delay_s": spread(self.delays_s),
            "booking_tries": spread([float(t) for t in self.tries]),
            "booking_latency_ms": spread([s * 1000 for s in self.latencies_s]),
            "conformance": round(self.inside_s / self.judged_s, 4) if self.judged_s else None,
            "reservation_efficiency": float(f"{self.used_m3s / self.locked_m3s:.4g}")
            if self.locked_m3s
            else None,
            "route_efficiency": round(self.direct_m / self.planned_m, 4)
            if self.planned_m
            else None,
        }
        if voxel_m is not None:
            out["los_voxel_events"] = len(losses_in_steps(steps_of(self.tracks), *voxel_m))
        out.update(self.extra)
        return out
