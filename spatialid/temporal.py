"""Spatio-temporal IDs: a voxel during one time interval.

The text form is ``"z/f/x/y_i/t"``: ``i`` is an interval length in whole seconds and
``t = floor(unix / i)`` the index of the interval, which covers the half-open time range
``[t*i, (t+1)*i)`` seconds after the Unix epoch (UTC). All arithmetic here is exact
(integers and ``fractions.Fraction``), so interval boundaries never round the wrong way.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple

from spatialid.errors import SpatialIdError
from spatialid.voxel import Voxel, validate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The Unix epoch as an aware UTC datetime."""

TimeLike = datetime | float | int
"""An aware ``datetime`` or Unix seconds."""

_MICROSECOND = timedelta(microseconds=1)


class SpatioTemporalId(NamedTuple):
    """A voxel during the time interval ``[t*i, (t+1)*i)`` Unix seconds.

    Examples
    --------
    >>> st = SpatioTemporalId(Voxel(12, 0, 3638, 1614), 1800, 809712)
    >>> str(st)
    '12/0/3638/1614_1800/809712'
    >>> st.time_range()[0].isoformat()
    '2016-03-09T00:00:00+00:00'
    """

    voxel: Voxel
    i: int
    t: int

    def __str__(self) -> str:
        return f"{self.voxel}_{self.i}/{self.t}"

    def time_range(self) -> tuple[datetime, datetime]:
        """The interval ``[start, end)`` as aware UTC datetimes."""
        return (
            EPOCH + timedelta(seconds=self.t * self.i),
            EPOCH + timedelta(seconds=(self.t + 1) * self.i),
        )


def check_interval(i: int) -> int:
    """Return ``i`` if it is a positive whole number of seconds, else raise.

    Examples
    --------
    >>> check_interval(1800)
    1800
    >>> check_interval(0)
    Traceback (most recent call last):
    ...
    spatialid.errors.SpatialIdError: interval i=0 must be a positive number of seconds
    """
    if isinstance(i, bool) or not isinstance(i, int):
        raise SpatialIdError(f"interval i must be an integer number of seconds, got {i!r}")
    if i <= 0:
        raise SpatialIdError(f"interval i={i} must be a positive number of seconds")
    return i


def _seconds(when: TimeLike, name: str = "when") -> Fraction:
    """Exact Unix seconds of an aware datetime or a finite number."""
    if isinstance(when, datetime):
        if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
            raise SpatialIdError(
                f"{name}={when.isoformat()} is a naive datetime; give it a time zone "
                "(e.g. datetime.now(UTC))"
            )
        return Fraction((when - EPOCH) // timedelta(microseconds=1), 1_000_000)
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise SpatialIdError(f"{name} must be an aware datetime or Unix seconds, got {when!r}")
    if not math.isfinite(when):
        raise SpatialIdError(f"{name}={when!r} is not a finite number of seconds")
    return Fraction(when)


def time_to_index(when: TimeLike, i: int) -> int:
    """Index ``t`` of the interval of length ``i`` seconds that contains ``when``.

    Parameters
    ----------
    when : datetime or float
        An aware datetime (naive ones are refused) or Unix seconds.
    i : int
        Interval length in seconds (positive).

    Examples
    --------
    >>> time_to_index(1457482000, 1800)
    809712
    >>> time_to_index(datetime(2016, 3, 9, tzinfo=UTC), 1800)
    809712
    >>> time_to_index(-0.5, 60)
    -1
    """
    check_interval(i)
    # Exact integer floor divisions; other inputs (and errors) take the Fraction path.
    if isinstance(when, int) and not isinstance(when, bool):
        return when // i
    if isinstance(when, float) and math.isfinite(when):
        p, q = when.as_integer_ratio()
        return p // (q * i)
    if isinstance(when, datetime) and when.utcoffset() is not None:
        return ((when - EPOCH) // _MICROSECOND) // (1_000_000 * i)
    return math.floor(_seconds(when) / i)


def window_to_indices(start: TimeLike, end: TimeLike, i: int) -> range:
    """The interval indices ``t`` that cover the half-open window ``[start, end)``.

    An empty window (``start == end``) gives an empty range; ``end < start`` is an error.

    Examples
    --------
    >>> window_to_indices(0, 3600, 1800)
    range(0, 2)
    >>> window_to_indices(1, 3601, 1800)
    range(0, 3)
    """
    check_interval(i)
    s, e = _seconds(start, "start"), _seconds(end, "end")
    if e < s:
        raise SpatialIdError(f"window end={end!r} is before start={start!r}")
    first = math.floor(s / i)
    return range(first, first) if e == s else range(first, math.ceil(e / i))


def spatio_temporal_ids(v: Voxel, start: TimeLike, end: TimeLike, i: int) -> list[SpatioTemporalId]:
    """The spatio-temporal IDs of voxel ``v`` covering the window ``[start, end)``.

    Examples
    --------
    >>> [str(s) for s in spatio_temporal_ids(Voxel(12, 0, 3638, 1614), 0, 3000, 1800)]
    ['12/0/3638/1614_1800/0', '12/0/3638/1614_1800/1']
    """
    v = validate(v)
    return [SpatioTemporalId(v, i, t) for t in window_to_indices(start, end, i)]
