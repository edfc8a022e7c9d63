"""The planners' view of the database: :class:`PostgisOccupancy` (``routing.Occupancy``).

Static blocks are obstacles and permanent restrictions (``blocker_boxes`` whose ``during``
is infinite on both sides; :meth:`PostgisOccupancy.restricted_static` gives the
restrictions' part alone, for ground vehicles); time-bounded blocks are active
``reservation_boxes`` and temporary restrictions. Every call is one SQL statement probing
the GiST indexes with ``&&`` on the query box scaled to the leaf zoom. The statement
returns ONE row: the matching boxes packed into a ``bytea`` by ``string_agg`` (six
``int4send`` bounds per box, and for the time-bounded blocks two ``float8send`` epochs),
which numpy reads with ``frombuffer``: tens of thousands of boxes per call are common,
and a result row per box costs several times the index scan in psycopg and SQLAlchemy.
Numpy clips each box to the probe and turns the clipped leaf boxes into voxels at the asked
zoom conservatively (a coarse
voxel is blocked when any part of it is).
:meth:`PostgisOccupancy.static_version` is a real version of the static blocks, so that
grids built from them can be shared across requests (``planning.grid_cache``). Answers
are cached per call for the life of the object, which is one planning request (a snapshot
in the sense of READ COMMITTED: each new query sees what was committed before it).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes import probe_sql as sql
from registry.boxes.occupancy_grid import expand, leaf_to_zoom
from registry.models import LEAF_ZOOM
from routing.errors import RoutingError
from routing.occupancy import BusyArrays, TileBox, merge_intervals
from spatialid import Voxel, VoxelSet

IntArray = npt.NDArray[np.int64]

_BOX = """int4send(lower(b.x)) || int4send(upper(b.x)) || int4send(lower(b.y))
    || int4send(upper(b.y)) || int4send(lower(b.f)) || int4send(upper(b.f))"""
_PROBE = sql.ONE_PROBE
_MEETS = sql.meets("b", sql.ranges("p"))
_PERMANENT = """coalesce(NOT isfinite(lower(b.during)), true)
    AND coalesce(NOT isfinite(upper(b.during)), true)"""
# date_part gives float8 directly (extract gives numeric, slower): the same value, the
# microseconds since the epoch divided by 1e6 and rounded once
_EPOCHS = """float8send(coalesce(date_part('epoch', lower(b.during)), '-Infinity'))
    || float8send(coalesce(date_part('epoch', upper(b.during)), 'Infinity'))"""
VERSION_SQL = f"""SELECT count(*), coalesce(sum(b.id), 0), coalesce(max(b.id), 0)
    FROM blocker_boxes b WHERE b.active AND {_PERMANENT}"""
STATIC_SQL = f"""SELECT string_agg({_BOX}, '') FROM blocker_boxes b, {_PROBE}
    WHERE {_MEETS} AND {_PERMANENT}"""
RESTRICTED_SQL = STATIC_SQL + " AND b.restriction_id IS NOT NULL"
BUSY_SQL = f"""SELECT string_agg(q.r, '') FROM (
SELECT {_BOX} || {_EPOCHS} AS r FROM reservation_boxes b, {_PROBE}
    WHERE {_MEETS} AND b.during && tstzrange(:t0, :t1)
        AND b.reservation_id IS DISTINCT FROM CAST(:ex AS uuid)
UNION ALL
SELECT {_BOX} || {_EPOCHS} FROM blocker_boxes b, {_PROBE}
    WHERE {_MEETS} AND b.during && tstzrange(:t0, :t1) AND NOT ({_PERMANENT})) q"""
STATIC_ROW = np.dtype([("box", ">i4", (6,))])
"""One packed box of :data:`STATIC_SQL`: leaf ``x0, x1, y0, y1, f0, f1`` (big-endian)."""
BUSY_ROW = np.dtype([("box", ">i4", (6,)), ("during", ">f8", (2,))])
"""One packed box of :data:`BUSY_SQL` and its window in unix seconds (big-endian)."""


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class PostgisOccupancy:
    """A read-only :class:`routing.Occupancy` over the database for one planning request.

    ``now`` and ``horizon`` (unix seconds, seconds) bound the time-bounded rows fetched:
    only rows overlapping ``[now, now + horizon)`` are ever returned (with their full
    intervals). ``alt_band`` (metres) optionally limits the altitudes fetched, so that
    a tall restriction does not expand into voxels no planner will use. The boxes of
    reservation ``exclude`` are left out (a re-plan that replaces it plans as if it were
    gone; it still holds its space until the replace commits).
    """

    def __init__(
        self,
        session: Session,
        *,
        now: float,
        horizon: float,
        alt_band: tuple[float, float] | None = None,
        exclude: uuid.UUID | None = None,
    ) -> None:
        self.session = session
        self.exclude = exclude
        self.now = float(now)
        self.until = float(now) + float(horizon)
        self.f_leaf = (
            (math.floor(alt_band[0]), math.ceil(alt_band[1]))
            if alt_band is not None
            else (-(1 << LEAF_ZOOM), 1 << LEAF_ZOOM)
        )
        self._cache: dict[Hashable, Any] = {}
        self.queries = 0

    def static_version(self) -> Hashable:
        """A fingerprint of the static blocks: count, sum and max id of the active permanent
        blocker boxes (one aggregate, read once per object).

        Every change to the static blocks changes it: boxes are only inserted (with new,
        larger ids), deleted (cascading from their obstacle or restriction) or switched on
        and off, and each of these changes the count or the sum of the active ids (two
        changes cancelling in both would need equal counts and equal id sums). Temporary
        restrictions are not static and leave it alone. Read in the same READ COMMITTED
        way as the blocks: a grid built across a concurrent commit may be filed under the
        version before it; every request that starts after the commit reads the new
        version and so never uses that grid.
        """
        key = ("version",)
        if key not in self._cache:
            self.queries += 1
            row = self.session.execute(text(VERSION_SQL)).one()
            self._cache[key] = ("postgis", int(row[0]), int(row[1]), int(row[2]))
        version: Hashable = self._cache[key]
        return version

    def _params(self, z: int, box: TileBox | None, f: tuple[int, int] | None) -> dict[str, Any]:
        if z > LEAF_ZOOM:
            raise RoutingError(f"the planning zoom must be at most {LEAF_ZOOM}, got {z}")
        k = LEAF_ZOOM - z
        n = 1 << LEAF_ZOOM
        f0, f1 = self.f_leaf
        if f is not None:
            f0, f1 = max(f0, f[0] << k), min(f1, f[1] << k)
        if box is None:
            return {"x0": 0, "x1": n, "y0": 0, "y1": n, "f0": f0, "f1": f1}
        return {
            "x0": max(0, box.x0) << k,
            "x1": min(1 << z, box.x1) << k,
            "y0": max(0, box.y0) << k,
            "y1": min(1 << z, box.y1) << k,
            "f0": f0,
            "f1": f1,
        }

    def _boxes(
        self, sql: str, row: np.dtype[Any], params: dict[str, Any], z: int
    ) -> tuple[IntArray, npt.NDArray[np.float64]]:
        """The boxes of ``sql`` clipped to the probe, at zoom ``z``, and their windows
        (``(n, 2)``, empty for static boxes)."""
        self.queries += 1
        packed = self.session.execute(text(sql), params).scalar()
        rows = np.frombuffer(packed or b"", row)
        leaf = rows["box"].astype(np.int64)
        lo = np.array([params["x0"], params["y0"], params["f0"]], np.int64)
        hi = np.array([params["x1"], params["y1"], params["f1"]], np.int64)
        np.maximum(leaf[:, 0::2], lo, out=leaf[:, 0::2])  # clipped to the probe, which
        np.minimum(leaf[:, 1::2], hi, out=leaf[:, 1::2])  # every row overlaps (&&)
        during = rows["during"].astype(np.float64) if "during" in (row.names or ()) else None
        return leaf_to_zoom(leaf, z), np.empty((0, 2)) if during is None else during

    def blocked_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Voxels at zoom ``z`` (in ``box``) blocked by obstacles and permanent restrictions."""
        return self._static(STATIC_SQL, z, box)

    def restricted_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Voxels at zoom ``z`` (in ``box``) blocked by permanent restrictions only."""
        return self._static(RESTRICTED_SQL, z, box)

    def _static(self, sql: str, z: int, box: TileBox | None) -> VoxelSet:
        key = (sql, z, box)
        if key not in self._cache:
            boxes, _ = self._boxes(sql, STATIC_ROW, self._params(z, box, None), z)
            ny, nf = boxes[:, 3] - boxes[:, 2], boxes[:, 5] - boxes[:, 4]
            rep = ny * nf
            idx = np.repeat(np.arange(len(boxes)), rep)
            off = np.arange(idx.size, dtype=np.int64) - np.repeat(np.cumsum(rep) - rep, rep)
            f = boxes[idx, 4] + off // ny[idx]
            y = boxes[idx, 2] + off % ny[idx]
            self._cache[key] = VoxelSet.from_runs(z, f, y, boxes[idx, 0], boxes[idx, 1])
        vs: VoxelSet = self._cache[key]
        return vs

    def _busy(
        self, z: int, box: TileBox | None, f: tuple[int, int] | None, t0: float, t1: float
    ) -> BusyArrays:
        lo, hi = max(t0, self.now), min(t1, self.until)
        key = ("busy", z, box, f, lo, hi)
        if key in self._cache:
            rows: BusyArrays = self._cache[key]
            return rows
        if not lo < hi:
            boxes, times = np.empty((0, 6), np.int64), np.empty((0, 2))
        else:
            params = {**self._params(z, box, f), "t0": _ts(lo), "t1": _ts(hi), "ex": self.exclude}
            boxes, times = self._boxes(BUSY_SQL, BUSY_ROW, params, z)
        v = expand(boxes, np.arange(len(boxes), dtype=np.int64), z)
        rows = BusyArrays(v.f, v.x, v.y, times[v.item, 0], times[v.item, 1])
        self._cache[key] = rows
        return rows

    def busy_in(self, z: int, box: TileBox | None, t0: float, t1: float) -> BusyArrays:
        """Busy rows at zoom ``z`` in ``box`` overlapping ``[t0, t1)`` (one row per voxel)."""
        return self._busy(z, box, None, t0, t1)

    def busy_intervals(self, voxel: Voxel) -> list[tuple[float, float]]:
        """Merged busy intervals of one voxel (a coarse voxel: union over its volume)."""
        z, f, x, y = voxel
        rows = self._busy(z, TileBox(x, y, x + 1, y + 1), (f, f + 1), -math.inf, math.inf)
        return merge_intervals(zip(rows.start.tolist(), rows.end.tolist(), strict=True))
