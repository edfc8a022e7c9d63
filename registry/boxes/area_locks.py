"""Advisory locks per coarse area and hour, taken in one canonical order.

Two reservation transactions whose boxes overlap must not both be inserting at once: each
insert waits on the boxes the other has already inserted (exclusion constraint), and when
each has inserted a box the other meets later, PostgreSQL sees a deadlock (40P01).
Preempting requests made that likely: both pass the pre-check, both preempt, both insert.

A preempting request therefore first locks the cells its boxes touch: leaf x and y shifted
by ``SHIFT`` (1024 m, a z15 tile) and the UTC hour, ignoring altitude. Two overlapping
requests share at least one cell, so the second waits before its pre-check, and then sees
the first's committed boxes. Cells are locked in sorted order in one statement, after a
shared lock on ``GLOBAL``; a request touching more than ``MAX_CELLS`` cells takes
``GLOBAL`` exclusively instead. Every such transaction acquires global first, then cells
ascending, so the locks themselves cannot deadlock (within one reservation per transaction).

Keys use the two-int4 form ``(classid, objid)``: ``(cx << 15 | cy, hour)`` — exact, no
hashing (leaf x, y < 2**25) — and ``(-1, 0)`` for the global lock; the one-bigint form
(idempotency keys) is a separate key space.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes.overlap import Probe

SHIFT = 10
"""Leaf (z25, 1 m) x and y are shifted by this much: cells of 1024 m."""
HOUR_S = 3600
MAX_CELLS = 32
"""More cells than this: lock everything (keeps the shared lock table small)."""
GLOBAL = (-1, 0)

_SHARED_THEN_CELLS = text(
    """SELECT count(*) FROM (
        SELECT pg_advisory_xact_lock_shared(-1, 0)
        UNION ALL
        SELECT pg_advisory_xact_lock(u.c, u.h)
            FROM unnest(CAST(:c AS int4[]), CAST(:h AS int4[])) AS u(c, h)
    ) AS locked"""
)
"""A plain Append runs its branches in order and unnest yields the array in order: global
shared first, then the cells as sorted by the caller."""
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(-1, 0)")


def cells(probe: Probe) -> np.ndarray | None:
    """The sorted distinct cells ``(classid, hour)`` of the probe, or None when too many."""
    rows = np.asarray(probe.rows, dtype=np.int64)
    if len(rows) == 0:
        return np.empty((0, 2), dtype=np.int64)
    if any(t is None for t in probe.t0) or any(t is None for t in probe.t1):
        return None  # unbounded in time: every hour
    t0 = np.array([t.timestamp() for t in probe.t0 if t is not None])
    t1 = np.array([t.timestamp() for t in probe.t1 if t is not None])
    cx0, cx1 = rows[:, 0] >> SHIFT, (rows[:, 1] - 1) >> SHIFT
    cy0, cy1 = rows[:, 2] >> SHIFT, (rows[:, 3] - 1) >> SHIFT
    h0 = np.floor(t0 / HOUR_S).astype(np.int64)
    h1 = np.maximum(h0, np.ceil(t1 / HOUR_S).astype(np.int64) - 1)  # half-open window
    nx, ny, nh = cx1 - cx0 + 1, cy1 - cy0 + 1, h1 - h0 + 1
    counts = nx * ny * nh
    if int(counts.max()) > MAX_CELLS or int(counts.sum()) > 64 * MAX_CELLS:
        return None
    box = np.repeat(np.arange(len(rows)), counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    h = h0[box] + k % nh[box]
    k = k // nh[box]
    y = cy0[box] + k % ny[box]
    x = cx0[box] + k // ny[box]
    out = np.unique(np.column_stack([(x << 15) | y, h]), axis=0)  # sorted rows
    return None if len(out) > MAX_CELLS else out


def lock_area(*, session: Session, probe: Probe) -> int:
    """Wait for and take the locks of the probe's cells; the number of cells (0: global)."""
    found = cells(probe)
    if found is None:
        session.execute(_EXCLUSIVE)
        return 0
    session.execute(_SHARED_THEN_CELLS, {"c": found[:, 0].tolist(), "h": found[:, 1].tolist()})
    return len(found)
