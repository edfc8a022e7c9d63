"""Spatio-temporal IDs: the spec vector, exact interval arithmetic, windows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from spatialid import (
    SpatialIdError,
    SpatioTemporalId,
    Voxel,
    spatio_temporal_ids,
    time_to_index,
    window_to_indices,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_spec_vector() -> None:
    t = time_to_index(1457482000, 1800)
    assert t == 809712
    v = Voxel(12, 0, 3638, 1614)
    assert str(SpatioTemporalId(v, 1800, t)) == "12/0/3638/1614_1800/809712"
    when = datetime.fromtimestamp(1457482000, tz=UTC)
    assert time_to_index(when, 1800) == 809712
    start, end = SpatioTemporalId(v, 1800, t).time_range()
    assert start <= when < end
    assert (end - start) == timedelta(seconds=1800)
    assert start.tzinfo is not None


@given(st.integers(-(10**10), 10**10), st.integers(1, 10**6))
def test_index_contains_time(unix: int, i: int) -> None:
    t = time_to_index(unix, i)
    start, end = SpatioTemporalId(Voxel(0, 0, 0, 0), i, t).time_range()
    when = EPOCH + timedelta(seconds=unix)
    assert start <= when < end
    assert time_to_index(when, i) == t
    assert time_to_index(float(unix), i) == t


def test_other_time_zones_are_converted() -> None:
    jst = timezone(timedelta(hours=9))
    assert time_to_index(datetime(2016, 3, 9, 9, 0, tzinfo=jst), 1800) == 809712


@given(st.integers(0, 10**9), st.integers(0, 10**6), st.integers(1, 7200))
def test_window_cover_is_minimal(start: int, length: int, i: int) -> None:
    end = start + length
    r = window_to_indices(start, end, i)
    if length == 0:
        assert len(r) == 0
        return
    assert r.start * i <= start < (r.start + 1) * i
    assert (r.stop - 1) * i < end <= r.stop * i


def test_spatio_temporal_ids() -> None:
    v = Voxel(12, 0, 3638, 1614)
    ids = spatio_temporal_ids(v, 1457481600, 1457485200, 1800)
    assert [str(s) for s in ids] == ["12/0/3638/1614_1800/809712", "12/0/3638/1614_1800/809713"]


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: time_to_index(datetime(2020, 1, 1), 60), "naive"),
        (lambda: time_to_index(0, 0), "i=0"),
        (lambda: time_to_index(0, 1.5), "1.5"),  # type: ignore[arg-type]
        (lambda: time_to_index(float("nan"), 60), "nan"),
        (lambda: time_to_index("now", 60), "'now'"),  # type: ignore[arg-type]
        (lambda: window_to_indices(10, 5, 60), "before"),
    ],
)
def test_errors(call: object, needle: str) -> None:
    with pytest.raises(SpatialIdError) as info:
        call()  # type: ignore[operator]
    assert needle in str(info.value)


def _exact_index(when: datetime | float | int, i: int) -> int:
    """The definition, ``floor(unix / i)``, in exact rational arithmetic."""
    if isinstance(when, datetime):
        return math.floor(Fraction((when - EPOCH) // timedelta(microseconds=1), 10**6) / i)
    return math.floor(Fraction(when) / i)


ZONES = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60, 23 * 60))


@given(
    st.one_of(
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(-1e10, 1e10),
        st.datetimes(timezones=ZONES),
    ),
    st.one_of(st.integers(1, 10**6), st.sampled_from([1, 60, 1800, 3600, 86400])),
)
@example(-5e-324, 1)
@example(-0.5, 60)
@example(1457482000.0, 1800)
@example(datetime(1, 1, 1, tzinfo=UTC), 7)
@example(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), 1)
def test_index_is_exact(when: datetime | float | int, i: int) -> None:
    assert time_to_index(when, i) == _exact_index(when, i)
