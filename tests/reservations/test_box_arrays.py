"""The vectorised box helpers against plain references: footprints and the overlap sweep."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from registry.boxes.disjoint import first_overlap
from registry.boxes.footprints import _to_degrees, footprint

X0, Y0 = 4_000_000 * 4, 2_000_000 * 4


def _reference(rows: np.ndarray) -> shapely.Geometry:
    """The union of the boxes' rectangles, taken the plain way."""
    r = rows.astype(np.float64)
    return shapely.transform(
        shapely.union_all(shapely.box(r[:, 0], r[:, 2], r[:, 1], r[:, 3])), _to_degrees
    )


def _cells(ij: list[tuple[int, int]], w: int = 4) -> np.ndarray:
    a = np.array(ij, np.int64)
    x, y = X0 + a[:, 0] * w, Y0 + a[:, 1] * w
    return np.column_stack([x, x + w, y, y + w, np.zeros(len(a), int), np.ones(len(a), int)])


def test_grid_footprints_equal_the_union_and_are_valid() -> None:
    rng = np.random.default_rng(7)
    for trial in range(400):
        n = int(rng.integers(1, 50))
        span = int(rng.integers(2, 10))
        ij = list({(int(a), int(b)) for a, b in rng.integers(0, span, (n, 2))})
        rows = _cells(ij, w=4 if trial % 2 else 1)
        got = footprint(rows)
        assert isinstance(got, MultiPolygon)
        assert got.is_valid, (trial, shapely.is_valid_reason(got))
        assert got.equals(_reference(rows)), trial


def test_pinches_and_holes() -> None:
    diagonal = _cells([(0, 0), (1, 1)])  # two cells touching at a corner: two polygons
    assert len(footprint(diagonal).geoms) == 2
    ring = _cells([(i, j) for i in range(3) for j in range(3) if (i, j) != (1, 1)])
    holed = footprint(ring)  # a ring of cells: one polygon with one hole
    assert len(holed.geoms) == 1 and len(holed.geoms[0].interiors) == 1
    pinched = _cells([(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2)])  # hole at a corner
    got = footprint(pinched)
    assert got.is_valid and got.equals(_reference(pinched))
    island = np.concatenate(
        [
            _cells(
                [(i, j) for i in range(5) for j in range(5) if not (1 <= i <= 3 and 1 <= j <= 3)]
            ),
            _cells([(2, 2)]),
        ]
    )
    got = footprint(island)  # a cell inside a hole
    assert got.is_valid and got.equals(_reference(island)) and len(got.geoms) == 2


def test_mixed_rectangles_take_the_union() -> None:
    rows = np.array([[X0, X0 + 8, Y0, Y0 + 4, 0, 1], [X0 + 4, X0 + 6, Y0 + 2, Y0 + 9, 0, 1]])
    assert footprint(rows).equals(_reference(rows))


def test_the_sweep_finds_the_first_overlapping_pair_of_groups() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 40))
        lo = rng.integers(0, 12, (n, 3))
        size = rng.integers(1, 4, (n, 3))
        rows = np.column_stack(
            [
                lo[:, 0],
                lo[:, 0] + size[:, 0],
                lo[:, 1],
                lo[:, 1] + size[:, 1],
                lo[:, 2],
                lo[:, 2] + size[:, 2],
            ]
        )
        t0 = rng.integers(0, 20, n).astype(float)
        t1 = t0 + rng.integers(1, 5, n)
        group = rng.integers(0, 6, n)
        want = None
        for a in range(n):
            for b in range(n):
                if group[a] >= group[b]:
                    continue
                p, q = rows[a], rows[b]
                meets = all(p[2 * k] < q[2 * k + 1] and q[2 * k] < p[2 * k + 1] for k in range(3))
                if meets and t0[a] < t1[b] and t0[b] < t1[a]:
                    pair = (int(group[a]), int(group[b]))
                    want = pair if want is None else min(want, pair)
        assert first_overlap(rows, t0, t1, group) == want
