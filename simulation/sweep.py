"""Sweeps: arms x demands x seeds, each run a task on a Dask cluster.

By default a local cluster of one single-threaded worker process per core (the arms are
CPU-bound Python); ``scheduler`` names a running scheduler (``tcp://host:8786``) to go
wider. Every task builds its own scenario from the base one (the same seed gives the same
demand to every arm) and, for the voxel arms, its own database connection from the URL, so
a task needs nothing from the process that sent it. The capacity C95 of an arm is the
highest demand swept at which, averaged over the seeds, at least 95 % of the flights are
accepted and losses of separation stay at or under ``los_threshold`` per flight-hour.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.arms import check_arms
from simulation.coarse_run import COARSE_ARMS, run_coarse_arm
from simulation.demand import Scenario

LOS_THRESHOLD = 0.1
"""Losses of separation per flight-hour under which an arm is counted as safe (C95)."""
AVERAGED = ("accepted", "acceptance", "los_events", "los_per_flight_hour", "conformance")


@dataclass(frozen=True)
class Cell:
    """One run of a sweep."""

    arm: str
    demand_per_hour: float
    seed: int


def run_cell(base: dict[str, Any], cell: Cell, database_url: str | None) -> dict[str, Any]:
    """One arm at one demand and seed (runs in a worker: builds all it needs)."""
    scenario = Scenario.model_validate(
        {**base, "demand_per_hour": cell.demand_per_hour, "seed": cell.seed}
    )
    t0 = time.perf_counter()
    if cell.arm in COARSE_ARMS:
        result = run_coarse_arm(cell.arm, scenario)
    else:
        from registry.db import make_engine, make_sessionmaker
        from simulation.voxel_run import run_voxel_arm

        if database_url is None:
            raise ValueError("the voxel arms plan and book through the database: give its URL")
        engine = make_engine(database_url, pool_size=1)
        try:
            result = run_voxel_arm(cell.arm, scenario, make_sessionmaker(engine))
        finally:
            engine.dispose()
    return {
        "arm": cell.arm,
        "demand_per_hour": cell.demand_per_hour,
        "seed": cell.seed,
        **result,
        "run_s": round(time.perf_counter() - t0, 2),
    }


def summarise(
    runs: Sequence[dict[str, Any]], los_threshold: float = LOS_THRESHOLD
) -> dict[str, Any]:
    """Per arm and demand the seeds' mean of the headline metrics, and each arm's C95."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        table.setdefault(run["arm"], {}).setdefault(
            f"{float(run['demand_per_hour']):g}", {}
        ).setdefault("runs", []).append(run)
    summary: dict[str, Any] = {}
    c95: dict[str, float | None] = {}
    for arm, by_demand in table.items():
        summary[arm] = {}
        best: float | None = None
        for demand, cell in sorted(by_demand.items(), key=lambda kv: float(kv[0])):
            rs = cell["runs"]
            row: dict[str, Any] = {"seeds": len(rs)}
            for key in AVERAGED:
                values = [r[key] for r in rs if r.get(key) is not None]
                row[key] = round(float(np.mean(values)), 4) if values else None
            row["delay_mean_s"] = round(float(np.mean([r["delay_s"]["mean"] for r in rs])), 2)
            row["delay_p95_s"] = round(float(np.mean([r["delay_s"]["p95"] for r in rs])), 2)
            summary[arm][demand] = row
            if row["acceptance"] >= 0.95 and row["los_per_flight_hour"] <= los_threshold:
                best = max(best or 0.0, float(demand))
        c95[arm] = best
    return {"by_arm": summary, "c95": c95, "los_threshold": los_threshold}


def sweep(
    base: Scenario,
    arms: Sequence[str],
    demands: Sequence[float],
    seeds: Sequence[int],
    *,
    database_url: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    los_threshold: float = LOS_THRESHOLD,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Every arm at every demand and seed, in parallel on Dask; the runs and their summary."""
    from distributed import Client, LocalCluster, as_completed

    arms = check_arms(arms)
    if not demands or not seeds:
        raise ValueError("a sweep needs at least one demand and one seed")
    cells = [Cell(a, float(d), int(s)) for d in demands for s in seeds for a in arms]
    base_json = base.model_dump(mode="json")
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    try:
        with Client(scheduler or cluster) as client:
            futures = [
                client.submit(run_cell, base_json, c, database_url, pure=False) for c in cells
            ]
            runs = []
            for n, fut in enumerate(as_completed(futures), 1):
                runs.append(fut.result())
                if progress is not None:
                    progress(n, len(cells))
    finally:
        if cluster is not None:
            cluster.close()
    order = {c: i for i, c in enumerate(cells)}
    runs.sort(key=lambda r: order[Cell(r["arm"], r["demand_per_hour"], r["seed"])])
    return {
        "scenario": base_json,
        "sweep": {"arms": arms, "demands": [float(d) for d in demands], "seeds": list(seeds)},
        "runs": runs,
        "summary": summarise(runs, los_threshold),
    }
