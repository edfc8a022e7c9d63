"""The coarse arms on one demand: no deconfliction takes every flight and loses
separation in a crowded sky; leg volumes with no flight errors never do; whole-window
cells take fewer flights, none delayed past 900 s; the same seed gives the same numbers."""

from __future__ import annotations

import pytest

from simulation.coarse_run import run_coarse_arm
from simulation.demand import Scenario

SMALL = (139.745, 35.675, 139.767, 35.693)  # about 2 km x 2 km


def _scenario(**change: object) -> Scenario:
    base = {
        "bbox": SMALL, "duration_s": 900, "demand_per_hour": 1200, "trip_m": (500, 1500),
        "band_m": (50, 60), "seed": 11,
    }  # fmt: skip
    return Scenario.model_validate({**base, **change})


def test_the_arms_trade_acceptance_for_separation() -> None:
    sc = _scenario()
    none, cells = run_coarse_arm("none", sc), run_coarse_arm("cells", sc)
    assert none["requested"] == none["accepted"] == cells["requested"] > 200
    assert none["delay_s"] == {"mean": 0.0, "p95": 0.0, "max": 0.0}
    assert none["los_events"] > 0 and none["los_per_flight_hour"] > 0
    assert cells["accepted"] < none["accepted"]
    assert cells["accepted"] + cells["rejected"] == cells["requested"]
    assert 0 < cells["delay_s"]["max"] <= 900


def test_leg_volumes_without_flight_errors_never_lose_separation() -> None:
    sc = _scenario(lateral_sigma_m=0, vertical_sigma_m=0, speed_sigma_mps=0)
    volumes = run_coarse_arm("volumes", sc)
    assert volumes["accepted"] > 0 and volumes["los_events"] == 0


def test_the_same_seed_gives_the_same_numbers() -> None:
    sc = _scenario(demand_per_hour=400)
    assert _timeless(run_coarse_arm("volumes", sc)) == _timeless(run_coarse_arm("volumes", sc))
    with pytest.raises(ValueError, match="arm must be one of"):
        run_coarse_arm("voxels-tactical", sc)


def _timeless(result: dict[str, object]) -> dict[str, object]:
    """A result without what the clock measures."""
    return {k: v for k, v in result.items() if k != "booking_latency_ms"}


def test_coarse_arms_measure_conformance_and_what_they_lock() -> None:
    sc = _scenario(demand_per_hour=300)
    for arm in ("cells", "volumes"):
        got = run_coarse_arm(arm, sc)
        assert 0.9 < got["conformance"] <= 1.0, arm
        assert 0 < got["reservation_efficiency"] < 1, arm
        assert got["route_efficiency"] == 1.0
    exact = run_coarse_arm(
        "volumes",
        _scenario(demand_per_hour=300, lateral_sigma_m=0, vertical_sigma_m=0, speed_sigma_mps=0),
    )
    assert exact["conformance"] == 1.0
    assert run_coarse_arm("none", sc)["conformance"] is None
