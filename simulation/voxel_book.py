"""Booking one simulated flight through Kukan: the voxel arms' side of the book.

``voxels`` (A4) asks as an operator's software would: :func:`planning.routes.plan_route`
with ``reserve``, which plans around what is booked in space and time and reserves the
route's voxels; when nothing is found at the asked departure (the origin is busy, no path)
it asks again 30 s later, up to 900 s. ``voxels-delay`` (A3) plans the flight's route once
as if the sky were empty of traffic (obstacles and restrictions only) and only moves its
departure: the same route shifted in 30 s steps until the reservation is accepted.

A flight whose ends are blocked by an obstacle or a restriction is ``unplannable``: no delay
helps, it is rejected at once.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from planning.budget import Budget
from planning.caches import PlanningCaches
from planning.postgis_occupancy import PostgisOccupancy
from planning.route_inputs import limits_of, load_vehicle, occupancy_for
from planning.routes import plan_route, reserve_route
from registry.models import Principal
from registry.volume_errors import Contested
from routing import BusyArrays, DronePlanner, NoRoute, Route, TileBox, Visit
from simulation.coarse_book import MAX_DELAY_S, STEP_S
from simulation.demand import FlightRequest
from spatialid import Voxel, VoxelSet, voxel_height

SIM_EPOCH = datetime(2100, 1, 1, tzinfo=UTC)
"""Simulated time zero of the first slot: far from any real booking, so a run never waits
on one."""
SLOT_DAYS = 30
SLOTS = 64
"""Runs at the same time each hold a slot of their own, ``SLOT_DAYS`` apart, so that two
never book the same time (one would wait on the other's uncommitted rows). Every slot's
epoch lies in [2**31, 2**32) unix seconds, where a float's step is the same, so that a
run's times round alike in every slot."""
_SLOT_LOCK = 0x4B55_4B53
"""The advisory lock class of the slots."""


def claim_epoch(session: Session) -> datetime:
    """The epoch of a free slot, held until the run's transaction ends."""
    for slot in range(SLOTS):
        got = session.execute(
            text("SELECT pg_try_advisory_xact_lock(:k, :s)"), {"k": _SLOT_LOCK, "s": slot}
        ).scalar()
        if got:
            return SIM_EPOCH + timedelta(days=SLOT_DAYS * slot)
    raise RuntimeError(f"{SLOTS} simulations are running already: try again later")


STATIC = ("obstacle", "restriction")
NEVER = ("too_far", "outside_altitude_band", "no_airway_nearby")
"""Refusals no delay can change."""


def in_layers(alt: float, band: tuple[float, float], zoom: int) -> float:
    """``alt`` moved, when its voxel sticks out of ``band``, to the centre of the nearest
    voxel layer wholly inside it (the planner flies whole voxels inside the band)."""
    h = voxel_height(zoom)
    lo, hi = math.ceil(band[0] / h), math.floor(band[1] / h) - 1
    f = math.floor(alt / h)
    if lo > hi or lo <= f <= hi:
        return alt
    return (min(max(f, lo), hi) + 0.5) * h


class StaticOnly:
    """A database view without the booked traffic: what A3 plans its route against."""

    def __init__(self, inner: PostgisOccupancy) -> None:
        self.inner = inner

    def static_version(self) -> Hashable:
        """The inner view's token."""
        return self.inner.static_version()

    def blocked_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Obstacles and permanent restrictions."""
        return self.inner.blocked_static(z, box)

    def restricted_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Permanent restrictions."""
        return self.inner.restricted_static(z, box)

    def busy_in(self, z: int, box: TileBox | None, t0: float, t1: float) -> BusyArrays:
        """Nothing is busy."""
        none = np.empty(0, np.int64)
        return BusyArrays(none, none.copy(), none.copy(), np.empty(0), np.empty(0))

    def busy_intervals(self, voxel: Voxel) -> list[tuple[float, float]]:
        """Nothing is busy."""
        return []


@dataclass(frozen=True)
class Outcome:
    """What one flight got: its delay and route, or a rejection."""

    delay_s: float | None
    tries: int
    latency_s: float
    route: Route | None = None
    unplannable: bool = False


@dataclass
class Booker:
    """Books the flights of one run in its (never committed) transaction."""

    session: Session
    actor: Principal
    caches: PlanningCaches
    zoom: int
    band: tuple[float, float]
    epoch: datetime = SIM_EPOCH
    budget_s: float = 5.0

    def at(self, seconds: float) -> datetime:
        """Simulated seconds as a time of the book."""
        return self.epoch + timedelta(seconds=seconds)

    def ends(self, f: FlightRequest) -> tuple[tuple[float, float, float], ...]:
        """The flight's origin and destination, at heights the planner can fly."""
        return tuple(
            (p[0], p[1], in_layers(p[2], self.band, self.zoom)) for p in (f.origin, f.destination)
        )

    def book(self, arm: str, flight: FlightRequest, vehicle_id: uuid.UUID) -> Outcome:
        """Book ``flight`` for ``vehicle_id`` as ``arm`` does."""
        t0 = time.perf_counter()
        if arm == "voxels":
            delay, tries, route, static = self._replanning(flight, vehicle_id)
        elif arm == "voxels-delay":
            delay, tries, route, static = self._delaying(flight, vehicle_id)
        else:
            raise ValueError(f"not a voxel arm: {arm!r}")
        return Outcome(delay, tries, time.perf_counter() - t0, route, static)

    def _replanning(
        self, f: FlightRequest, vehicle_id: uuid.UUID
    ) -> tuple[float | None, int, Route | None, bool]:
        origin, destination = self.ends(f)
        tries, delay = 0, 0.0
        while delay <= MAX_DELAY_S:
            tries += 1
            try:
                planned = plan_route(
                    session=self.session,
                    caches=self.caches,
                    actor=self.actor,
                    vehicle_id=vehicle_id,
                    origin=origin,
                    destination=destination,
                    departure_time=self.at(f.request_s + delay),
                    zoom=self.zoom,
                    reserve=True,
                    budget=Budget(seconds=self.budget_s),
                )
                return delay, tries, planned.route, False
            except NoRoute as exc:
                if exc.reason in NEVER or any(b.get("kind") in STATIC for b in exc.blocked_by):
                    return None, tries, None, True
            except Contested as exc:
                if any(c.kind != "reservation" for c in exc.conflicts):
                    return None, tries, None, True
            delay += STEP_S
        return None, tries, None, False

    def _delaying(
        self, f: FlightRequest, vehicle_id: uuid.UUID
    ) -> tuple[float | None, int, Route | None, bool]:
        vehicle = load_vehicle(session=self.session, actor=self.actor, vehicle_id=vehicle_id)
        limits = limits_of(vehicle)
        departure = self.at(f.request_s).timestamp()
        view = StaticOnly(occupancy_for(self.session, departure, limits, self.zoom))
        planner = DronePlanner(
            view,
            limits,
            zoom=self.zoom,
            time_budget_s=self.budget_s,
            grid_cache=self.caches.grids if self.caches.grids.max_bytes > 0 else None,
        )
        try:
            origin, destination = self.ends(f)
            route = planner.plan(origin, destination, departure)
        except NoRoute:
            return None, 1, None, True
        tries, delay = 0, 0.0
        while delay <= MAX_DELAY_S:
            tries += 1
            moved = shifted(route, delay)
            try:
                reserve_route(
                    session=self.session,
                    actor=self.actor,
                    route=moved,
                    vehicle_id=vehicle_id,
                    priority=0,
                )
                return delay, tries, moved, False
            except Contested as exc:
                if any(c.kind != "reservation" for c in exc.conflicts):
                    return None, tries, None, True
            delay += STEP_S
        return None, tries, None, False


def shifted(route: Route, seconds: float) -> Route:
    """The same route ``seconds`` later."""
    if seconds == 0:
        return route
    return replace(
        route,
        visits=[Visit(v.voxel, v.enter + seconds, v.leave + seconds) for v in route.visits],
        waypoints=[(lng, lat, alt, t + seconds) for lng, lat, alt, t in route.waypoints],
    )
