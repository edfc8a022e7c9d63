"""The drone planner's hard bounds: one time budget for every step of a plan, and a cap on
the grid it may build."""

from __future__ import annotations

import time

import pytest

from planning.budget import Budget
from routing.drone import DronePlanner
from routing.errors import SearchBudgetExceeded
from routing.occupancy import MemoryOccupancy
from routing.vehicle import VehicleLimits

LIMITS = VehicleLimits(max_speed_mps=15.0, altitude_lower_m=50.0, altitude_upper_m=70.0)
A = (160.0, -40.0, 60.0)
B = (160.02, -40.0, 60.0)  # about 1.7 km east


def test_a_grid_over_the_cap_is_refused_before_it_is_built() -> None:
    occ = MemoryOccupancy()
    with pytest.raises(SearchBudgetExceeded, match="MiB"):
        DronePlanner(occ, LIMITS, max_grid_bytes=1 << 16, hierarchical=False).plan(
            A, B, time.time()
        )
    assert (
        DronePlanner(occ, LIMITS, max_grid_bytes=1 << 30, hierarchical=False)
        .plan(A, B, time.time())
        .visits
    )


def test_the_budget_is_one_for_the_whole_plan() -> None:
    """No budget left after the grid is built: no search runs (each used to get it anew)."""
    planner = DronePlanner(MemoryOccupancy(), LIMITS, time_budget_s=1e-9, hierarchical=False)
    started = time.perf_counter()
    with pytest.raises(SearchBudgetExceeded, match="before the search"):
        planner.plan(A, B, time.time())
    assert time.perf_counter() - started < 5.0


def test_a_budget_is_started_once_and_checked_by_every_step() -> None:
    b = Budget(seconds=0.05)
    assert b.deadline is None and b.left() == 0.05
    s = b.started()
    assert s.started() is s and 0 < s.left() <= 0.05
    s.check("a step")
    time.sleep(0.06)
    assert s.left() == 0.0
    with pytest.raises(SearchBudgetExceeded, match="before a step"):
        s.check("a step")
