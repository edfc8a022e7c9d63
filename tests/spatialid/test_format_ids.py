"""``vectorized.format_ids`` writes exactly what a list of f-strings writes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spatialid import Voxel, vectorized

from .strategies import voxels

INT64 = st.integers(-(2**63), 2**63 - 1)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=90)


def f_strings(z: object, f: object, x: object, y: object) -> list[str]:
    """The plain definition: broadcast, flatten, one f-string per voxel."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.int64) for a in (z, f, x, y)))
    columns = [a.ravel().tolist() for a in arrays]
    return [f"{a}/{b}/{c}/{d}" for a, b, c, d in zip(*columns, strict=True)]


def numpy_strings(z: object, f: object, x: object, y: object) -> list[str]:
    """The former implementation (numpy string ufuncs)."""
    za, fa, xa, ya = np.broadcast_arrays(*(np.asarray(a, dtype=np.int64) for a in (z, f, x, y)))
    out = za.astype(str)
    for a in (fa, xa, ya):
        out = np.strings.add(np.strings.add(out, "/"), a.astype(str))
    return list(out.ravel().tolist())


@given(SHAPES.flatmap(lambda s: st.tuples(*(hnp.arrays(np.int64, s, elements=INT64),) * 3)), INT64)
@example((np.zeros(0, np.int64),) * 3, 0)
@example((np.arange(64), np.arange(64), -np.arange(64)), 30)
@example((np.arange(63), np.arange(63), np.arange(63)), 30)
def test_one_zoom(fxy: tuple[np.ndarray, np.ndarray, np.ndarray], z: int) -> None:
    f, x, y = fxy
    expected = f_strings(z, f, x, y)
    assert vectorized.format_ids(z, f, x, y) == expected
    assert vectorized.format_ids(np.int64(z), f, x, y) == expected
    assert numpy_strings(z, f, x, y) == expected


@given(
    hnp.mutually_broadcastable_shapes(num_shapes=4, max_dims=2, max_side=70).flatmap(
        lambda b: st.tuples(*(hnp.arrays(np.int64, s, elements=INT64) for s in b.input_shapes))
    )
)
def test_broadcast_inputs(zfxy: tuple[np.ndarray, ...]) -> None:
    assert vectorized.format_ids(*zfxy) == f_strings(*zfxy) == numpy_strings(*zfxy)


@given(st.lists(voxels(), max_size=200))
def test_voxels_and_lists(vs: list[Voxel]) -> None:
    columns = [list(c) for c in zip(*vs, strict=True)] if vs else [[], [], [], []]
    assert vectorized.format_ids(*columns) == [str(v) for v in vs]
    if vs:
        z = vs[0].z
        same = [Voxel(z, *v[1:]) for v in vs]
        assert vectorized.format_ids(z, *columns[1:]) == [str(v) for v in same]


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int32, np.uint32, np.int64])
def test_other_integer_dtypes(dtype: type) -> None:
    a = np.arange(100).astype(dtype)
    assert vectorized.format_ids(5, a, a, a) == f_strings(5, a, a, a)
    assert vectorized.format_ids(a, a, 1, a) == f_strings(a, a, 1, a)
