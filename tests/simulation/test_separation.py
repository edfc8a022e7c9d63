"""Losses of separation: the grid finds exactly the pairs all-pairs finds, an episode is
counted once however long it lasts, and a flight not in the air is never in one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulation.separation import Episode, close_pairs, losses_of_separation


def _brute(points: np.ndarray, h_m: float, v_m: float) -> set[tuple[int, int]]:
    out = set()
    for i, j in itertools.combinations(range(len(points)), 2):
        d = points[i] - points[j]
        if np.hypot(d[0], d[1]) < h_m and abs(d[2]) < v_m:
            out.add((i, j))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_the_grid_finds_what_all_pairs_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    span = float(rng.choice([50.0, 300.0, 2000.0]))
    pts = np.column_stack(
        [rng.uniform(-span, span, n), rng.uniform(-span, span, n), rng.uniform(30, 60, n)]
    )
    a, b, h, v = close_pairs(pts, 32.0, 7.62)
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(got) == len(a)  # no pair twice
    assert got == _brute(pts, 32.0, 7.62)
    assert np.all(h < 32.0) and np.all(v < 7.62)


def test_an_episode_is_counted_once_and_its_depth_kept() -> None:
    steps = 10
    pos = np.full((steps, 3, 3), np.nan)
    pos[:, 0] = [0.0, 0.0, 50.0]  # hovers
    for t in range(steps):  # flight 1 passes by at steps 2-4 and again at 7
        near = t in (2, 3, 4, 7)
        pos[t, 1] = [10.0 + t if near else 500.0, 0.0, 52.0]
    pos[3:6, 2] = [5.0, 5.0, 90.0]  # right above flight 0: vertically separated
    got = losses_of_separation(pos)
    assert got == [
        Episode(0, 1, 2, 4, 12.0, 2.0),
        Episode(0, 1, 7, 7, 17.0, 2.0),
    ]
    assert [e.steps for e in got] == [3, 1]


def test_a_flight_not_flying_is_never_in_a_loss() -> None:
    pos = np.zeros((4, 2, 3))
    pos[1:3, 1] = np.nan  # lands for two steps at the same spot
    got = losses_of_separation(pos)
    assert [(e.start, e.end) for e in got] == [(0, 0), (3, 3)]


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="steps, flights, 3"):
        losses_of_separation(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="positive"):
        losses_of_separation(np.zeros((1, 2, 3)), horizontal_m=0)
