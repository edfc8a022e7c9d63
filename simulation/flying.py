"""Flying a plan with errors: the track a flight really flies, sampled each second.

A plan is its waypoints ``(t, x, y, z)`` in the local metre frame (``t`` seconds from the
start of the simulation). The flight leaves ``departure_delay_s`` late, flies at its own
speed (the plan's times divided by ``1 + e``, ``e`` drawn once with standard deviation
``speed_sigma_mps / speed``), and wanders off the centre line: a lateral and a vertical
offset, each a first-order autoregressive walk with the given standard deviation and a
``correlation_s`` memory (so an error persists for a while, as wind and navigation errors
do, instead of jittering). A rogue flight ignores its plan: it flies straight from its
origin to its destination at cruise height and its own speed, leaving when it was
requested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.demand import Scenario

CORRELATION_S = 30.0
"""How long an error persists (the autoregression's time constant)."""


@dataclass(frozen=True)
class Errors:
    """The flight errors of a scenario (standard deviations)."""

    lateral_sigma_m: float = 5.0
    vertical_sigma_m: float = 2.0
    speed_sigma_mps: float = 0.5
    correlation_s: float = CORRELATION_S


def errors_of(scenario: Scenario) -> Errors:
    """The flight errors a scenario asks for."""
    return Errors(scenario.lateral_sigma_m, scenario.vertical_sigma_m, scenario.speed_sigma_mps)


@dataclass(frozen=True)
class Track:
    """A flown track: positions ``(k, 3)`` in metres at steps ``start .. start + k - 1``."""

    start: int
    xyz: np.ndarray

    @property
    def end(self) -> int:
        """The last step flown."""
        return self.start + len(self.xyz) - 1


def _walk(rng: np.random.Generator, n: int, sigma: float, tau_s: float) -> np.ndarray:
    """A stationary AR(1) series of ``n`` one-second steps, standard deviation ``sigma``."""
    if sigma == 0 or n == 0:
        return np.zeros(n)
    rho = math.exp(-1.0 / tau_s)
    noise = rng.normal(0.0, sigma * math.sqrt(1 - rho * rho), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sigma)
    for k in range(1, n):
        out[k] = rho * out[k - 1] + noise[k]
    return out


def fly(
    plan: np.ndarray,
    *,
    speed_mps: float,
    errors: Errors,
    rng: np.random.Generator,
    departure_delay_s: float = 0.0,
) -> Track:
    """The track flown along ``plan`` (``(m, 4)``: ``t, x, y, z``, times increasing)."""
    if plan.ndim != 2 or plan.shape[1] != 4 or len(plan) < 2:
        raise ValueError("a plan is at least two waypoints (t, x, y, z)")
    t = plan[:, 0]
    if np.any(np.diff(t) <= 0):
        raise ValueError("a plan's times must increase")
    factor = max(0.2, 1.0 + rng.normal(0.0, errors.speed_sigma_mps / speed_mps))
    start = math.ceil(t[0] + departure_delay_s)
    duration = (t[-1] - t[0]) / factor
    steps = np.arange(start, math.floor(t[0] + departure_delay_s + duration) + 1)
    planned = t[0] + (steps - t[0] - departure_delay_s) * factor  # where it is on the plan
    x = np.interp(planned, t, plan[:, 1])
    y = np.interp(planned, t, plan[:, 2])
    z = np.interp(planned, t, plan[:, 3])
    hx = np.gradient(x) if len(x) > 1 else np.zeros(1)
    hy = np.gradient(y) if len(y) > 1 else np.zeros(1)
    norm = np.hypot(hx, hy)
    norm[norm == 0] = 1.0
    lat = _walk(rng, len(steps), errors.lateral_sigma_m, errors.correlation_s)
    vert = _walk(rng, len(steps), errors.vertical_sigma_m, errors.correlation_s)
    xyz = np.column_stack([x - hy / norm * lat, y + hx / norm * lat, z + vert])
    return Track(int(start), xyz)


def fly_rogue(
    origin: tuple[float, float, float],
    destination: tuple[float, float, float],
    *,
    request_s: float,
    speed_mps: float,
) -> Track:
    """A rogue flight's track: straight, at its own speed, leaving when requested."""
    o, d = np.array(origin), np.array(destination)
    duration = float(np.linalg.norm(d[:2] - o[:2])) / speed_mps
    plan = np.array([[request_s, *o], [request_s + max(duration, 1.0), *d]])
    return fly(plan, speed_mps=speed_mps, errors=Errors(0, 0, 0), rng=np.random.default_rng(0))


def stack(tracks: list[Track], steps: int) -> np.ndarray:
    """Tracks on one clock: ``(steps, len(tracks), 3)``, NaN where a flight is not flying."""
    out = np.full((steps, len(tracks), 3), np.nan)
    for i, tr in enumerate(tracks):
        lo, hi = max(tr.start, 0), min(tr.end, steps - 1)
        if lo <= hi:
            out[lo : hi + 1, i] = tr.xyz[lo - tr.start : hi - tr.start + 1]
    return out
