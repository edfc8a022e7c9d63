"""Sweeps on a local Dask cluster: every arm x demand x seed run once, each run the same
numbers as alone, the seeds averaged and C95 found as defined."""

from __future__ import annotations

from typing import Any

import pytest

from simulation.coarse_run import run_coarse_arm
from simulation.demand import Scenario
from simulation.sweep import summarise, sweep

SMALL = (139.745, 35.675, 139.767, 35.693)


def _run(arm: str, demand: float, seed: int, acceptance: float, los: float) -> dict[str, Any]:
    return {
        "arm": arm, "demand_per_hour": demand, "seed": seed, "accepted": 10,
        "acceptance": acceptance, "los_events": 1, "los_per_flight_hour": los,
        "conformance": None, "delay_s": {"mean": 1.0, "p95": 2.0, "max": 3.0},
    }  # fmt: skip


def test_c95_is_the_highest_demand_both_accepted_and_safe() -> None:
    runs = [
        _run("a", 100, 1, 1.0, 0.0), _run("a", 100, 2, 0.98, 0.05),
        _run("a", 200, 1, 0.97, 0.02), _run("a", 200, 2, 0.95, 0.04),
        _run("a", 400, 1, 0.99, 0.5), _run("a", 400, 2, 0.99, 0.3),  # accepted, not safe
        _run("b", 100, 1, 0.90, 0.0),  # never 95 %
    ]  # fmt: skip
    got = summarise(runs, los_threshold=0.1)
    assert got["c95"] == {"a": 200.0, "b": None}
    assert got["by_arm"]["a"]["200"]["acceptance"] == 0.96
    assert got["by_arm"]["a"]["200"]["seeds"] == 2


def test_a_local_sweep_runs_every_cell_with_the_numbers_of_a_run_alone() -> None:
    base = Scenario(bbox=SMALL, duration_s=300, trip_m=(300, 900), seed=1)
    doc = sweep(base, ["none", "cells"], [300, 900], [1, 2], workers=2)
    cells = {(r["arm"], r["demand_per_hour"], r["seed"]) for r in doc["runs"]}
    assert cells == {(a, d, s) for a in ("none", "cells") for d in (300.0, 900.0) for s in (1, 2)}
    alone = run_coarse_arm("cells", base.model_copy(update={"demand_per_hour": 900, "seed": 2}))
    swept = next(r for r in doc["runs"] if r["arm"] == "cells" and r["demand_per_hour"] == 900
                 and r["seed"] == 2)  # fmt: skip
    assert swept["accepted"] == alone["accepted"] and swept["los_events"] == alone["los_events"]
    assert set(doc["summary"]["by_arm"]) == {"none", "cells"}


def test_a_sweep_of_voxel_arms_needs_the_database() -> None:
    base = Scenario(bbox=SMALL, duration_s=60, seed=1)
    with pytest.raises(ValueError, match="give its URL"):
        sweep(base, ["voxels"], [100], [1], workers=1)
