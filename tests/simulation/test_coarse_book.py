"""The coarse arms' books: cells lock whole windows, leg volumes lock only their own
legs, a flight takes the first free departure in steps, and one with none within 900 s is
rejected."""

from __future__ import annotations

import numpy as np

from simulation.coarse_book import CellBook, VolumeBook, crossed_cells


def _line(*xy: tuple[float, float]) -> np.ndarray:
    return np.array([[x, y, 60.0] for x, y in xy])


def test_a_path_crosses_the_cells_it_passes_through() -> None:
    assert crossed_cells(_line((10, 10), (2500, 10)), 1000) == {(0, 0), (1, 0), (2, 0)}
    clip = {(-1, 0), (0, 0), (0, -1)}  # clips the corner of cell (0, 0) for 28 m
    assert crossed_cells(_line((-10, 30), (30, -10)), 1000) == clip
    assert crossed_cells(_line((2500, 10), (10, 10)), 1000) == {(0, 0), (1, 0), (2, 0)}


def test_cells_lock_whole_windows_first_come_first_served() -> None:
    book = CellBook(cell_m=1000)
    assert book.book(_line((100, 100), (900, 100)), t0=0, duration_s=600).delay_s == 0
    late = book.book(_line((500, 900), (500, 200)), t0=100, duration_s=300)
    assert late.delay_s == 510 and late.tries == 18  # the cell is locked until 600
    assert book.book(_line((5100, 100), (5900, 100)), t0=0, duration_s=600).delay_s == 0
    rejected = book.book(_line((200, 200), (300, 300)), t0=0, duration_s=600)
    assert rejected.delay_s is None  # locked until 910: more than 900 s of delay


def _plan(*txy: tuple[float, float, float]) -> np.ndarray:
    return np.array([[t, x, y, 60.0] for t, x, y in txy])


def test_leg_volumes_lock_only_their_legs() -> None:
    book = VolumeBook(buffer_m=30, buffer_s=30)
    assert book.book(_plan((0, 0, 0), (100, 1000, 0))).delay_s == 0
    assert book.book(_plan((0, 0, 100), (100, 1000, 100))).delay_s == 0  # 100 m apart
    crossing = book.book(_plan((40, 500, -500), (140, 500, 500)))
    # a leg locks its whole box for its whole window: the east legs' [-30, 130) against
    # the crossing leg's [10 + delay, 170 + delay)
    assert crossing.delay_s == 120 and crossing.tries == 5
