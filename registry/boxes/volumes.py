"""Submitted volumes -> validated leaf boxes with time windows, a footprint and stored rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon

from registry.boxes.leaf import (
    footprint,
    geometry_to_boxes,
    overlapping_pairs,
    parse_ids,
    voxels_to_boxes,
)
from registry.boxes.overlap import Probe
from registry.errors import InvalidInput
from registry.models import LEAF_ZOOM


@dataclass(frozen=True)
class VolumeRequest:
    """One submitted volume: spatial IDs (spatio-temporal IDs carry their own window), or a
    GeoJSON geometry with an altitude band (metres, WGS84 ellipsoid) and a zoom; each with a
    time window unless its IDs carry one."""

    spatial_ids: Sequence[str] | None = None
    geometry: Mapping[str, Any] | None = None
    altitude_lower: float | None = None
    altitude_upper: float | None = None
    zoom: int | None = None
    time_start: datetime | None = None
    time_end: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """The volume as plain values (the request fingerprint of an Idempotency-Key)."""
        out = asdict(self)
        if out["spatial_ids"] is not None:
            out["spatial_ids"] = list(out["spatial_ids"])
        return out


@dataclass(frozen=True)
class Piece:
    """Leaf boxes sharing one time window, from volume ``index``, reported at ``zoom``."""

    index: int
    rows: np.ndarray
    start: datetime
    end: datetime
    zoom: int


@dataclass(frozen=True)
class Built:
    """Everything a reservation stores about its volumes."""

    probe: Probe
    zooms: list[int]
    rows: list[dict[str, Any]]
    """The ``reservation_volumes`` column values of each volume, in order."""
    start: datetime
    end: datetime
    footprint: MultiPolygon


def check_window(
    start: datetime | None, end: datetime | None, *, field: str, now: datetime, max_s: int
) -> tuple[datetime, datetime]:
    """Return the window if it is ordered, not over and not longer than ``max_s``."""
    if start is None or end is None:
        which = "time_start" if start is None else "time_end"
        raise InvalidInput(f"{which} is required for plain spatial IDs", field=f"{field}.{which}")
    if end <= start:
        raise InvalidInput(
            f"time_end ({end.isoformat()}) must be after time_start ({start.isoformat()})",
            field=f"{field}.time_end",
        )
    if end <= now:
        raise InvalidInput(
            f"the window ending {end.isoformat()} is in the past", field=f"{field}.time_end"
        )
    if end - start > timedelta(seconds=max_s):
        raise InvalidInput(
            f"the window is {(end - start).total_seconds():.0f} s long; the maximum is {max_s} s",
            field=f"{field}.time_end",
        )
    return start, end


def _id_pieces(vol: VolumeRequest, k: int, *, now: datetime, max_s: int) -> tuple[list[Piece], int]:
    field = f"volumes[{k}]"
    ids = vol.spatial_ids
    if not ids:
        raise InvalidInput("spatial_ids must not be empty", field=f"{field}.spatial_ids")
    pieces = []
    for window, voxels in parse_ids(ids, field=f"{field}.spatial_ids").items():
        start, end = window or (vol.time_start, vol.time_end)
        start, end = check_window(start, end, field=field, now=now, max_s=max_s)
        rows, zoom = voxels_to_boxes(voxels)
        pieces.append(Piece(k, rows, start, end, zoom))
    return pieces, len(ids)


def _geometry_piece(
    vol: VolumeRequest, k: int, *, now: datetime, max_s: int, budget: int
) -> tuple[Piece, int]:
    field = f"volumes[{k}]"
    start, end = check_window(vol.time_start, vol.time_end, field=field, now=now, max_s=max_s)
    lower, upper, zoom = vol.altitude_lower, vol.altitude_upper, vol.zoom
    if lower is None or upper is None or zoom is None:
        raise InvalidInput(
            "the geometry form needs altitude_lower, altitude_upper and zoom", field=field
        )
    if upper <= lower:
        raise InvalidInput(
            "altitude_upper must be above altitude_lower", field=f"{field}.altitude_upper"
        )
    rows, count = geometry_to_boxes(
        dict(vol.geometry or {}), zoom, lower, upper, max_voxels=budget, field=f"{field}.geometry"
    )
    return Piece(k, rows, start, end, min(zoom, LEAF_ZOOM)), count


def _stored(vol: VolumeRequest, k: int, pieces: list[Piece]) -> dict[str, Any]:
    mine = [p for p in pieces if p.index == k]
    return dict(
        ordinal=k,
        time_start=min(p.start for p in mine),
        time_end=max(p.end for p in mine),
        zoom=max(p.zoom for p in mine) if vol.zoom is None else vol.zoom,
        spatial_ids=list(vol.spatial_ids) if vol.spatial_ids else None,
        geometry=dict(vol.geometry) if vol.geometry is not None else None,
        altitude_lower_m=vol.altitude_lower,
        altitude_upper_m=vol.altitude_upper,
    )


def _check_disjoint(pieces: list[Piece]) -> None:
    for a in range(len(pieces)):
        for b in range(a + 1, len(pieces)):
            p, q = pieces[a], pieces[b]
            if p.start < q.end and q.start < p.end and overlapping_pairs(p.rows, q.rows):
                where = f"volumes[{q.index}]"
                other = "itself" if p.index == q.index else f"volumes[{p.index}]"
                raise InvalidInput(f"{where} overlaps {other} in space and time", field=where)


def build_volumes(
    volumes: Sequence[VolumeRequest], *, now: datetime, max_duration_s: int, max_voxels: int
) -> Built:
    """Validate volumes and turn them into leaf boxes (422 naming the bad field)."""
    if not volumes:
        raise InvalidInput("at least one volume is required", field="volumes")
    pieces: list[Piece] = []
    used = 0
    for k, vol in enumerate(volumes):
        has_ids, has_geom = vol.spatial_ids is not None, vol.geometry is not None
        if has_ids == has_geom:
            raise InvalidInput("give either spatial_ids or geometry", field=f"volumes[{k}]")
        if has_ids:
            more, count = _id_pieces(vol, k, now=now, max_s=max_duration_s)
            pieces += more
        else:
            piece, count = _geometry_piece(
                vol, k, now=now, max_s=max_duration_s, budget=max_voxels - used
            )
            pieces.append(piece)
        used += count
        if used > max_voxels:
            raise InvalidInput(
                f"the volumes hold more than {max_voxels} voxels", field=f"volumes[{k}]"
            )
    _check_disjoint(pieces)
    rows = np.concatenate([p.rows for p in pieces])
    t0 = [p.start for p in pieces for _ in range(len(p.rows))]
    t1 = [p.end for p in pieces for _ in range(len(p.rows))]
    zooms = [p.zoom for p in pieces for _ in range(len(p.rows))]
    return Built(
        probe=Probe(rows, t0, t1),
        zooms=zooms,
        rows=[_stored(vol, k, pieces) for k, vol in enumerate(volumes)],
        start=min(p.start for p in pieces),
        end=max(p.end for p in pieces),
        footprint=footprint(rows),
    )
