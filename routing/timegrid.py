"""The one time grid: whole milliseconds, on which windows are published and stored.

The planners compute in float seconds; reservations are stored, and route windows
published, on whole milliseconds (window starts rounded down, ends up). For two routes that
touch at a hand-off to stay apart after that rounding, the planners' tables keep busy
intervals on the same grid (:func:`widen`), so a follower enters no earlier than the
rounded-up end of the one before. Rounding forgives float noise below :data:`SLACK_MS`.
"""

from __future__ import annotations

import math

SLACK_MS = 1e-3
"""A time within a microsecond past a millisecond counts as on it (float seconds near 2030
carry about 0.24 µs of noise per step)."""


def ms_floor(t: float) -> int:
    """Unix seconds ``t`` rounded down to whole milliseconds (forgiving float noise)."""
    return math.floor(t * 1000.0 + SLACK_MS)


def ms_ceil(t: float) -> int:
    """Unix seconds ``t`` rounded up to whole milliseconds (forgiving float noise)."""
    return math.ceil(t * 1000.0 - SLACK_MS)


def widen(start: float, end: float) -> tuple[float, float]:
    """``[start, end)`` widened outwards to the millisecond grid (infinities kept)."""
    s = start if math.isinf(start) else ms_floor(start) / 1000.0
    e = end if math.isinf(end) else ms_ceil(end) / 1000.0
    return s, e
