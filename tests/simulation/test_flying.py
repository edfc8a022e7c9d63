"""Flying a plan: without errors the track is the plan; a delay shifts it; the lateral
and vertical errors have the asked spread and persist; a rogue flies straight; tracks
stack on one clock; a plan that cannot be flown is refused."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.flying import Errors, fly, fly_rogue, stack

EAST = np.array([[10.0, 0.0, 0.0, 60.0], [110.0, 1000.0, 0.0, 60.0]])  # 10 m/s for 100 s
NONE = Errors(0.0, 0.0, 0.0)


def test_without_errors_the_track_is_the_plan() -> None:
    tr = fly(EAST, speed_mps=10, errors=NONE, rng=np.random.default_rng(1))
    assert tr.start == 10 and tr.end == 110
    assert np.allclose(tr.xyz[:, 0], np.arange(0, 1001, 10))
    assert np.allclose(tr.xyz[:, 1:], [0.0, 60.0])


def test_a_departure_delay_shifts_the_track() -> None:
    tr = fly(EAST, speed_mps=10, errors=NONE, rng=np.random.default_rng(1), departure_delay_s=25)
    assert (tr.start, tr.end) == (35, 135)
    assert np.allclose(tr.xyz[0], [0.0, 0.0, 60.0]) and np.allclose(tr.xyz[-1], [1000, 0, 60])


def test_the_errors_have_their_spread_and_persist() -> None:
    long = np.array([[0.0, 0.0, 0.0, 60.0], [20_000.0, 200_000.0, 0.0, 60.0]])
    errors = Errors(lateral_sigma_m=5.0, vertical_sigma_m=2.0, speed_sigma_mps=0.0)
    tr = fly(long, speed_mps=10, errors=errors, rng=np.random.default_rng(4))
    lateral, vertical = tr.xyz[:, 1], tr.xyz[:, 2] - 60.0
    assert 4.0 < lateral.std() < 6.0 and 1.6 < vertical.std() < 2.4
    lag1 = np.corrcoef(lateral[:-1], lateral[1:])[0, 1]
    assert lag1 > 0.9  # an error persists from one second to the next
    assert np.allclose(np.diff(tr.xyz[:, 0]), 10.0)  # along track: as planned


def test_the_speed_error_changes_the_flight_time() -> None:
    times = {
        fly(EAST, speed_mps=10, errors=Errors(0, 0, 2.0), rng=np.random.default_rng(s)).end
        for s in range(20)
    }
    assert len(times) > 3 and all(60 < t < 200 for t in times)


def test_a_rogue_flies_straight_from_its_request() -> None:
    tr = fly_rogue((0.0, 0.0, 50.0), (300.0, 400.0, 50.0), request_s=7, speed_mps=10)
    assert (tr.start, tr.end) == (7, 57)
    assert np.allclose(tr.xyz[-1], [300.0, 400.0, 50.0])
    d = tr.xyz[1:] - tr.xyz[:-1]
    assert np.allclose(np.hypot(d[:, 0], d[:, 1]), 10.0)


def test_tracks_stack_on_one_clock() -> None:
    a = fly(EAST, speed_mps=10, errors=NONE, rng=np.random.default_rng(1))
    b = fly_rogue((0.0, 0.0, 50.0), (100.0, 0.0, 50.0), request_s=0, speed_mps=10)
    pos = stack([a, b], 20)
    assert pos.shape == (20, 2, 3)
    assert np.isnan(pos[:10, 0]).all() and not np.isnan(pos[10:, 0]).any()
    assert not np.isnan(pos[:11, 1]).any() and np.isnan(pos[11:, 1]).all()


@pytest.mark.parametrize(
    "plan",
    [np.zeros((1, 4)), np.zeros((3, 3)), np.array([[5.0, 0, 0, 0], [5.0, 1, 0, 0]])],
)
def test_a_plan_that_cannot_be_flown_is_refused(plan: np.ndarray) -> None:
    with pytest.raises(ValueError, match="plan"):
        fly(plan, speed_mps=10, errors=NONE, rng=np.random.default_rng(0))
