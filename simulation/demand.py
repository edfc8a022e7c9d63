"""Demand: the flights a scenario asks for, drawn from its seed.

Requests arrive as a Poisson process at ``demand_per_hour``; each starts uniformly in the
area or, for hub-and-spoke demand, near a hub chosen by weight, and goes a trip length
drawn uniformly from ``trip_m`` in a uniform direction (drawn again while the destination
falls outside the area). A vehicle type is drawn by share; a share of the flights are
pop-up emergencies (the highest priority, wanting to leave at once) and a share are rogue
(they will ignore their plan). Each flight's cruise height is drawn in the band, and its
departure delay (an error of the flight, not of the plan) from an exponential law. The same
scenario and seed give the same flights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

EARTH_M = 6_371_008.8
"""The mean Earth radius, for the local frame."""
ARMS = ("none", "cells", "volumes", "voxels-delay", "voxels")
"""The design arms, A0 to A4 (``voxels-tactical``, A5, needs BlueSky)."""


class VehicleType(BaseModel):
    """One kind of vehicle in the mix."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    share: float = Field(gt=0)
    speed_mps: float = Field(gt=0, le=100)
    priority: int = Field(default=0, ge=0, le=100)


class Hub(BaseModel):
    """A place many flights start from (a depot), as a point and a radius."""

    model_config = ConfigDict(extra="forbid")

    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-85, le=85)
    radius_m: float = Field(default=200.0, gt=0, le=10_000)
    weight: float = Field(default=1.0, gt=0)


class Scenario(BaseModel):
    """What a simulation flies: where, how long, how much, and with which errors."""

    model_config = ConfigDict(extra="forbid")

    bbox: tuple[float, float, float, float] = Field(
        description="west, south, east, north (degrees)"
    )
    duration_s: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    demand_per_hour: float = Field(default=500.0, gt=0, le=100_000)
    origins: Literal["uniform", "hubs"] = "uniform"
    hubs: list[Hub] = Field(default_factory=list)
    trip_m: tuple[float, float] = (1_000.0, 5_000.0)
    band_m: tuple[float, float] = (30.0, 150.0)
    mix: list[VehicleType] = Field(
        default_factory=lambda: [VehicleType(name="delivery", share=1.0, speed_mps=15.0)]
    )
    emergency_share: float = Field(default=0.0, ge=0, le=1)
    rogue_share: float = Field(default=0.0, ge=0, le=1)
    lateral_sigma_m: float = Field(default=5.0, ge=0, le=1_000)
    vertical_sigma_m: float = Field(default=2.0, ge=0, le=1_000)
    speed_sigma_mps: float = Field(default=0.5, ge=0, le=50)
    departure_delay_mean_s: float = Field(default=0.0, ge=0, le=3_600)
    seed: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        w, s, e, n = self.bbox
        if not (-180 <= w < e <= 180 and -85 <= s < n <= 85):
            raise ValueError(
                "bbox must be west < east and south < north, inside -180..180, -85..85"
            )
        if not 0 < self.trip_m[0] <= self.trip_m[1]:
            raise ValueError("trip_m must be 0 < shortest <= longest")
        if not 0 <= self.band_m[0] < self.band_m[1]:
            raise ValueError("band_m must be 0 <= lower < upper")
        if self.origins == "hubs" and not self.hubs:
            raise ValueError("hub-and-spoke demand needs at least one hub")
        return self


@dataclass(frozen=True)
class LocalFrame:
    """Metres east and north of a centre (equirectangular: within 0.1 % over ~20 km)."""

    lng0: float
    lat0: float

    def to_m(self, lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes to metres east and north."""
        k = math.pi / 180 * EARTH_M
        return (lng - self.lng0) * k * math.cos(math.radians(self.lat0)), (lat - self.lat0) * k

    def to_lnglat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metres east and north to longitudes and latitudes."""
        k = math.pi / 180 * EARTH_M
        return self.lng0 + x / (k * math.cos(math.radians(self.lat0))), self.lat0 + y / k


def frame_of(scenario: Scenario) -> LocalFrame:
    """The local frame centred on the scenario's area."""
    w, s, e, n = scenario.bbox
    return LocalFrame((w + e) / 2, (s + n) / 2)


@dataclass(frozen=True)
class FlightRequest:
    """One flight a scenario asks for."""

    index: int
    request_s: float
    """When it is requested, seconds from the start; it wants to leave then."""
    origin: tuple[float, float, float]
    destination: tuple[float, float, float]
    """``(lng, lat, height above the ground in metres)``."""
    vehicle: str
    speed_mps: float
    priority: int
    emergency: bool
    rogue: bool
    departure_delay_s: float


def _arrivals(rng: np.random.Generator, per_hour: float, duration_s: float) -> np.ndarray:
    rate = per_hour / 3600.0
    out: list[np.ndarray] = []
    t = 0.0
    while t < duration_s:  # in blocks: a block of expected size, then on
        gaps = rng.exponential(1 / rate, size=max(16, int(rate * duration_s * 0.5)))
        times = t + np.cumsum(gaps)
        out.append(times[times < duration_s])
        t = float(times[-1])
    return np.concatenate(out)


def generate(scenario: Scenario) -> list[FlightRequest]:
    """The scenario's flights, in order of request."""
    rng = np.random.default_rng(scenario.seed)
    frame = frame_of(scenario)
    w, s, e, n = scenario.bbox
    xs, _ = frame.to_m(np.array([w, e]), np.array([s, s]))
    _, ys = frame.to_m(np.array([w, w]), np.array([s, n]))
    x0, x1, y0, y1 = float(xs[0]), float(xs[1]), float(ys[0]), float(ys[1])
    times = _arrivals(rng, scenario.demand_per_hour, scenario.duration_s)
    shares = np.array([m.share for m in scenario.mix])
    hubs = scenario.hubs
    weights = np.array([h.weight for h in hubs]) if hubs else np.empty(0)
    flights = []
    for k, t in enumerate(times):
        if scenario.origins == "hubs":
            hub = hubs[int(rng.choice(len(hubs), p=weights / weights.sum()))]
            hx, hy = frame.to_m(np.array([hub.lng]), np.array([hub.lat]))
            r = hub.radius_m * math.sqrt(rng.uniform())
            a = rng.uniform(0, 2 * math.pi)
            ox = min(max(float(hx[0]) + r * math.cos(a), x0), x1)
            oy = min(max(float(hy[0]) + r * math.sin(a), y0), y1)
        else:
            ox, oy = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        for _ in range(100):  # a destination inside the area
            length = rng.uniform(*scenario.trip_m)
            a = rng.uniform(0, 2 * math.pi)
            dx, dy = ox + length * math.cos(a), oy + length * math.sin(a)
            if x0 <= dx <= x1 and y0 <= dy <= y1:
                break
        else:
            dx, dy = min(max(dx, x0), x1), min(max(dy, y0), y1)
        kind = scenario.mix[int(rng.choice(len(shares), p=shares / shares.sum()))]
        emergency = bool(rng.uniform() < scenario.emergency_share)
        rogue = bool(rng.uniform() < scenario.rogue_share)
        cruise = float(rng.uniform(*scenario.band_m))
        delay = (
            float(rng.exponential(scenario.departure_delay_mean_s))
            if scenario.departure_delay_mean_s > 0
            else 0.0
        )
        (olng,), (olat,) = frame.to_lnglat(np.array([ox]), np.array([oy]))
        (dlng,), (dlat,) = frame.to_lnglat(np.array([dx]), np.array([dy]))
        flights.append(
            FlightRequest(
                index=k,
                request_s=float(t),
                origin=(float(olng), float(olat), cruise),
                destination=(float(dlng), float(dlat), cruise),
                vehicle=kind.name,
                speed_mps=kind.speed_mps,
                priority=100 if emergency else kind.priority,
                emergency=emergency,
                rogue=rogue,
                departure_delay_s=delay,
            )
        )
    return flights
