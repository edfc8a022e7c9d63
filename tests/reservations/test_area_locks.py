"""Issue 4 follow-up: the cells a preempting request locks (sorted, distinct, bounded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from registry.boxes.area_locks import MAX_CELLS, SHIFT, cells
from registry.boxes.overlap import Probe

T0 = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)
H = int(T0.timestamp()) // 3600


def probe(rows: list[list[int]], hours: float = 0.25) -> Probe:
    end = T0 + timedelta(hours=hours)
    return Probe(np.array(rows), [T0] * len(rows), [end] * len(rows))


def test_one_box_in_one_cell() -> None:
    got = cells(probe([[1024, 1030, 2048, 2050, 0, 5]]))
    assert got is not None and got.tolist() == [[(1 << 15) | 2, H]]


def test_cells_across_edges_and_hours_sorted_and_distinct() -> None:
    c = 1 << SHIFT
    got = cells(probe([[c - 1, c + 1, 0, 1, 0, 1], [c - 2, c - 1, 0, 1, 0, 1]], hours=1))
    assert got is not None
    assert got.tolist() == [[0, H], [0, H + 1], [1 << 15, H], [1 << 15, H + 1]]


def test_window_ending_on_the_hour_stays_in_it() -> None:
    start = T0.replace(minute=0)
    p = Probe(np.array([[0, 1, 0, 1, 0, 1]]), [start], [start + timedelta(hours=1)])
    got = cells(p)
    assert got is not None and got.tolist() == [[0, H]]


def test_too_many_cells_mean_the_global_lock() -> None:
    wide = (MAX_CELLS + 1) << SHIFT
    assert cells(probe([[0, wide, 0, 1, 0, 1]])) is None
    assert cells(probe([[0, 1, 0, 1, 0, 1]], hours=MAX_CELLS + 1)) is None
