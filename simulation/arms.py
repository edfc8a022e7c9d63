"""Run several arms on one demand and gather their results in the document scripts read:
``{"scenario": {...}, "arms": {"<arm>": {...}}}``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from simulation.coarse_run import COARSE_ARMS, run_coarse_arm
from simulation.demand import ARMS, Scenario, generate
from simulation.voxel_run import VOXEL_ARMS, run_voxel_arm

ArmProgress = Callable[[str, int, int], None]
"""``(arm, flights booked, flights)``."""


def check_arms(arms: Sequence[str]) -> list[str]:
    """The arms asked for, known and without repeats, in the asked order."""
    if not arms:
        raise ValueError("give at least one arm")
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise ValueError(f"unknown arm {unknown[0]!r}: the arms are {', '.join(ARMS)}")
    return list(dict.fromkeys(arms))


def run_arms(
    scenario: Scenario,
    arms: Sequence[str] = ARMS,
    sessions: sessionmaker[Session] | None = None,
    progress: ArmProgress | None = None,
) -> dict[str, Any]:
    """Each arm on the scenario's one demand; the voxel arms need ``sessions``."""
    arms = check_arms(arms)
    if sessions is None and any(a in VOXEL_ARMS for a in arms):
        raise ValueError("the voxel arms plan and book through the database: give sessions")
    flights = generate(scenario)
    out: dict[str, Any] = {}
    for arm in arms:
        t0 = time.perf_counter()

        def tick(n: int, total: int, arm: str = arm) -> None:
            if progress is not None:
                progress(arm, n, total)

        if arm in COARSE_ARMS:
            result = run_coarse_arm(arm, scenario, flights)
            tick(len(flights), len(flights))
        else:
            assert sessions is not None
            result = run_voxel_arm(arm, scenario, sessions, flights, progress=tick)
        result["run_s"] = round(time.perf_counter() - t0, 2)
        out[arm] = result
    return {"scenario": scenario.model_dump(mode="json"), "arms": out}
