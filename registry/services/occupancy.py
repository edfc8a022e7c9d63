"""Occupancy: which voxels of a region are taken in a time window, by what, and by whom.

The region is a ``VoxelSet`` at the query zoom. Its merged boxes, scaled to the leaf zoom,
probe ``reservation_boxes`` and ``blocker_boxes`` through their GiST indexes (``&&`` on
x, y, f and during); PostgreSQL returns each stored box clipped to the probe it meets.
Probes are disjoint, so the clipped boxes, expanded to voxels at the query zoom in numpy
(:mod:`registry.boxes.occupancy_grid`), are exactly the occupied voxels of the region; a cell
counts the distinct reservations, restrictions and obstacles in it. A reservation box whose
time has passed occupies nothing (so a reservation that reads as ``ended`` is in no cell,
as in the tiles and the lists; see :mod:`registry.services.lifecycle`).

Who occupies a cell (the reservation and its operator) is shown to admins, and to a
municipality for the reservations whose footprint meets its jurisdiction; the counts are
the same for everyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes import occupancy_grid as grid
from registry.boxes import probe_sql as sql
from registry.boxes.bbox import BBox
from registry.boxes.leaf import to_leaf
from registry.errors import InvalidInput
from registry.models import LEAF_ZOOM, OVERSIGHT_ROLES, Principal
from spatialid import (
    SpatialIdError,
    SpatioTemporalId,
    TooManyVoxels,
    Voxel,
    VoxelSet,
    box_to_voxels,
    geometry_to_voxels,
    parse,
)

KINDS = ("reservation", "restriction", "obstacle")
VIEWERS = OVERSIGHT_ROLES
"""Roles that see who occupies a voxel; everyone else sees only kinds and counts."""

_CLIP = sql.clip("b", sql.M)
_MEETS = sql.meets("b", sql.M, "tstzrange(:t0, :t1)")
HITS_SQL = f"""SELECT 0, b.reservation_id, {_CLIP} FROM {sql.SPACE_PROBES}
    JOIN reservation_boxes b ON {_MEETS} AND upper(b.during) > now()
UNION ALL
SELECT CASE WHEN b.restriction_id IS NULL THEN 2 ELSE 1 END,
    coalesce(b.restriction_id, b.obstacle_id), {_CLIP} FROM {sql.SPACE_PROBES}
    JOIN blocker_boxes b ON {_MEETS}
LIMIT :limit"""
_HITS = text(HITS_SQL)  # built once: text() parses the SQL


class TooLarge(InvalidInput):
    """The query would touch more voxels or stored boxes than the configured cap."""


@dataclass(frozen=True)
class Owner:
    """An item occupying a cell: its kind, id and (reservations) operator."""

    kind: str
    id: uuid.UUID
    operator_id: uuid.UUID | None = None
    operator_name: str | None = None


@dataclass(frozen=True)
class Cell:
    """One occupied cell: distinct items per kind, and who (for VIEWERS only)."""

    id: str
    kinds: dict[str, int]
    owners: list[Owner] | None

    @property
    def count(self) -> int:
        """Distinct items of every kind in the cell."""
        return sum(self.kinds.values())


@dataclass(frozen=True)
class RegionOccupancy:
    """The occupied cells of a region in a window, and distinct items per kind in all."""

    zoom: int
    aggregate: str | None
    region_voxels: int
    cells: list[Cell]
    totals: dict[str, int]


def _too_large(exc: TooManyVoxels, field: str) -> TooLarge:
    return TooLarge(
        f"the query region has at least {exc.count} voxels, over the cap of {exc.cap}; "
        "use a lower zoom, a thinner altitude band or a smaller area",
        field=field,
    )


def bbox_region(
    bbox: BBox, alt_lower: float, alt_upper: float, zoom: int, *, max_voxels: int
) -> VoxelSet:
    """The voxels at ``zoom`` of a bounding box and an altitude band."""
    w, s, e, n = bbox
    if not alt_lower < alt_upper:
        raise InvalidInput("alt_upper must be above alt_lower", field="alt_upper")
    try:
        return box_to_voxels(w, s, alt_lower, e, n, alt_upper, zoom, max_voxels=max_voxels)
    except TooManyVoxels as exc:
        raise _too_large(exc, "bbox") from None
    except SpatialIdError as exc:
        raise InvalidInput(str(exc), field="bbox") from None


def geometry_region(
    geometry: dict[str, Any], alt_lower: float, alt_upper: float, zoom: int, *, max_voxels: int
) -> VoxelSet:
    """The voxels at ``zoom`` covering a GeoJSON geometry and an altitude band."""
    if not alt_lower < alt_upper:
        raise InvalidInput("alt_upper must be above alt_lower", field="alt_upper")
    try:
        return geometry_to_voxels(
            geometry, zoom, alt_lower=alt_lower, alt_upper=alt_upper, max_voxels=max_voxels
        )
    except TooManyVoxels as exc:
        raise _too_large(exc, "geometry") from None
    except (SpatialIdError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"invalid GeoJSON geometry: {exc}", field="geometry") from None


def ids_region(ids: Sequence[str], zoom: int, *, max_voxels: int) -> VoxelSet:
    """The voxels at ``zoom`` of spatial IDs of any zoom (finer ones become their parent)."""
    voxels: list[Voxel] = []
    for k, raw in enumerate(ids):
        try:
            v = parse(raw)
        except SpatialIdError as exc:
            raise InvalidInput(str(exc), field=f"spatial_ids[{k}]") from None
        if isinstance(v, SpatioTemporalId):
            v = v.voxel
        if not isinstance(v, Voxel):
            raise InvalidInput("extended IDs are not supported here", field=f"spatial_ids[{k}]")
        voxels.append(v)
    arr = np.array([tuple(v) for v in voxels], np.int64).reshape(-1, 4)
    fine, coarse = arr[arr[:, 0] >= zoom], arr[arr[:, 0] < zoom]
    count = len(fine) + int(np.sum(8.0 ** (zoom - coarse[:, 0])))
    if count > max_voxels:
        raise _too_large(TooManyVoxels(count, max_voxels), "spatial_ids")
    shift = fine[:, 0] - zoom
    out = VoxelSet.from_arrays(zoom, fine[:, 1] >> shift, fine[:, 2] >> shift, fine[:, 3] >> shift)
    if len(coarse):
        out = out | VoxelSet.from_compact([Voxel(*map(int, r)) for r in coarse], zoom)
    return out


def parse_aggregate(value: str | None, zoom: int) -> tuple[str, int] | None:
    """``h3:<res>`` or ``zoom:<z>`` (z at most the query zoom) as (kind, level), else 422."""
    if value is None:
        return None
    kind, _, level = value.partition(":")
    if kind not in ("h3", "zoom") or not level.isdigit():
        raise InvalidInput(
            f"aggregate must be h3:<res> or zoom:<z>, got {value!r}", field="aggregate"
        )
    n = int(level)
    top = 15 if kind == "h3" else zoom
    if n > top:
        raise InvalidInput(f"aggregate {value!r}: the level must be 0..{top}", field="aggregate")
    return kind, n


def _hits(session: Session, region: VoxelSet, t0: datetime, t1: datetime, limit: int) -> list[Any]:
    probes = to_leaf(region.boxes(), region.zoom)
    params: dict[str, Any] = {c: probes[:, k].tolist() for k, c in enumerate(sql.SPACE)}
    return list(session.execute(_HITS, {**params, "t0": t0, "t1": t1, "limit": limit}).all())


def _operators(
    session: Session, ids: list[uuid.UUID], actor: Principal
) -> dict[uuid.UUID, tuple[Any, Any]]:
    """Operator id and name of the reservations the actor may see the owners of."""
    rows = session.execute(
        text(
            """SELECT r.id, r.operator_id, o.name FROM reservations r
            LEFT JOIN operators o ON o.id = r.operator_id
            LEFT JOIN principals p ON p.id = :me
            WHERE r.id = ANY(:ids)
                AND (:all OR coalesce(ST_Intersects(r.geometry, p.jurisdiction), false))"""
        ),
        {"ids": ids, "me": actor.id, "all": actor.is_admin},
    )
    return {r[0]: (r[1], r[2]) for r in rows}


@dataclass(frozen=True)
class RegionOccupancyArrays:
    """The occupied cells as arrays: ids, per-kind counts ``(n, 3)``, and (VIEWERS only)
    each cell's indexes into ``owners``, the distinct items met."""

    zoom: int
    aggregate: str | None
    region_voxels: int
    ids: list[str]
    counts: np.ndarray
    items: list[np.ndarray] | None
    owners: list[Owner]
    totals: dict[str, int]


def occupancy_grid(
    *,
    session: Session,
    actor: Principal,
    region: VoxelSet,
    time_start: datetime,
    time_end: datetime,
    aggregate: str | None = None,
    max_boxes: int = 200_000,
    max_voxels: int = 200_000,
    region_field: str = "bbox",
) -> RegionOccupancyArrays:
    """Occupied cells of ``region`` during ``[time_start, time_end)`` as arrays (no per-cell
    objects: the API writes them straight to JSON)."""
    if time_end <= time_start:
        raise InvalidInput("time_end must be after time_start", field="time_end")
    if region.zoom > LEAF_ZOOM:
        raise InvalidInput(f"zoom must be 0..{LEAF_ZOOM}", field="zoom")
    agg = parse_aggregate(aggregate, region.zoom)
    rows = _hits(session, region, time_start, time_end, max_boxes + 1)
    if len(rows) > max_boxes:
        raise TooLarge(
            f"more than {max_boxes} stored boxes meet the query; narrow the area or window",
            field=region_field,
        )
    keys: dict[tuple[int, uuid.UUID], int] = {}
    item = np.array([keys.setdefault((r[0], r[1]), len(keys)) for r in rows], np.int64)
    boxes = grid.leaf_to_zoom(np.array([r[2:8] for r in rows], np.int64), region.zoom)
    if int(grid.box_volume(boxes).sum()) > 4 * max_voxels:
        raise TooLarge("the occupied voxels are over the cap; use a lower zoom", field="zoom")
    refs = list(keys)
    kind_of = np.array([k for k, _ in refs], np.int64)
    voxels = grid.expand(boxes, item, region.zoom)
    who = actor.role in VIEWERS
    if agg is None:
        cells = grid.voxel_cells(voxels, kind_of, len(KINDS), who)
    elif agg[0] == "zoom":
        cells = grid.voxel_cells(grid.coarsen(voxels, agg[1]), kind_of, len(KINDS), who)
    else:
        cells = grid.h3_cells(voxels, agg[1], kind_of, len(KINDS), who)
    owners: list[Owner] = []
    items = cells.items if who else None
    if who:
        ops = _operators(session, [i for k, i in refs if k == 0], actor)
        owners = [Owner(KINDS[k], i, *ops.get(i, (None, None))) for k, i in refs]
        hidden = np.array([k == 0 and i not in ops for k, i in refs], bool)
        if items is not None and hidden.any():  # outside the jurisdiction: counted only
            items = [its[~hidden[its]] for its in items]
    totals = np.bincount(kind_of, minlength=len(KINDS)).tolist()
    return RegionOccupancyArrays(
        zoom=region.zoom,
        aggregate=None if agg is None else f"{agg[0]}:{agg[1]}",
        region_voxels=len(region),
        ids=cells.ids,
        counts=cells.counts,
        items=items,
        owners=owners,
        totals=dict(zip(KINDS, totals, strict=True)),
    )


def occupancy(**kwargs: Any) -> RegionOccupancy:
    """Occupied cells of a region in a window as ``Cell`` objects (see ``occupancy_grid``)."""
    g = occupancy_grid(**kwargs)
    items = g.items if g.items is not None else [np.zeros(0, np.int64)] * len(g.ids)
    out = [
        Cell(
            cid,
            dict(zip(KINDS, counts, strict=True)),
            None if g.items is None else [g.owners[j] for j in its.tolist()],
        )
        for cid, counts, its in zip(g.ids, g.counts.tolist(), items, strict=True)
    ]
    return RegionOccupancy(g.zoom, g.aggregate, g.region_voxels, out, g.totals)
