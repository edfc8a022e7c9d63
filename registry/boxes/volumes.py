"""Submitted volumes -> validated leaf boxes with time windows, a footprint and stored rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon

from registry.boxes.disjoint import first_overlap
from registry.boxes.footprints import footprint
from registry.boxes.id_batch import leaf_boxes, plain_batch
from registry.boxes.leaf import geometry_to_boxes, parse_ids, voxels_to_boxes
from registry.boxes.one_id import one_id_volumes
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
        ids, geometry = self.spatial_ids, self.geometry
        return {
            "spatial_ids": list(ids) if ids is not None else None,
            "geometry": dict(geometry) if geometry is not None else None,
            "altitude_lower": self.altitude_lower,
            "altitude_upper": self.altitude_upper,
            "zoom": self.zoom,
            "time_start": self.time_start,
            "time_end": self.time_end,
        }


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


def _stored(
    vol: VolumeRequest, k: int, start: datetime, end: datetime, zoom: int
) -> dict[str, Any]:
    return dict(
        ordinal=k,
        time_start=start,
        time_end=end,
        zoom=zoom if vol.zoom is None else vol.zoom,
        spatial_ids=list(vol.spatial_ids) if vol.spatial_ids else None,
        geometry=dict(vol.geometry) if vol.geometry is not None else None,
        altitude_lower_m=vol.altitude_lower,
        altitude_upper_m=vol.altitude_upper,
    )


@dataclass
class _Pieces:
    """The pieces in order: their boxes (in runs of arrays), volume, window and zoom."""

    runs: list[np.ndarray] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    start: list[datetime] = field(default_factory=list)
    end: list[datetime] = field(default_factory=list)
    zoom: list[int] = field(default_factory=list)

    def add(self, p: Piece) -> None:
        self.runs.append(p.rows)
        self.sizes.append(len(p.rows))
        self.index.append(p.index)
        self.start.append(p.start)
        self.end.append(p.end)
        self.zoom.append(p.zoom)


def _check_disjoint(rows: np.ndarray, box_piece: np.ndarray, pieces: _Pieces) -> None:
    t0 = np.array([t.timestamp() for t in pieces.start])  # exact order to the microsecond
    t1 = np.array([t.timestamp() for t in pieces.end])
    pair = first_overlap(rows, t0[box_piece], t1[box_piece], box_piece)
    if pair is not None:
        a, b = (pieces.index[i] for i in pair)
        where = f"volumes[{b}]"
        other = "itself" if a == b else f"volumes[{a}]"
        raise InvalidInput(f"{where} overlaps {other} in space and time", field=where)


def _each_volume(
    volumes: Sequence[VolumeRequest], *, now: datetime, max_s: int, max_voxels: int
) -> tuple[_Pieces, list[dict[str, Any]]]:
    """The pieces and stored rows of the volumes, one volume after another."""
    plain = plain_batch([v.spatial_ids for v in volumes if v.spatial_ids is not None])
    if plain is not None:  # every ID is plain: one leaf box per ID, merged only when needed
        single, single_zoom = leaf_boxes(plain)
    pieces = _Pieces()
    stored: list[dict[str, Any]] = []
    used = offset = 0
    for k, vol in enumerate(volumes):
        ids = vol.spatial_ids
        if (ids is not None) == (vol.geometry is not None):
            raise InvalidInput("give either spatial_ids or geometry", field=f"volumes[{k}]")
        if ids is not None and plain is not None:
            count = len(ids)
            if not count:
                raise InvalidInput(
                    "spatial_ids must not be empty", field=f"volumes[{k}].spatial_ids"
                )
            start, end = check_window(
                vol.time_start, vol.time_end, field=f"volumes[{k}]", now=now, max_s=max_s
            )
            if count == 1:
                rows, zoom = single[offset : offset + 1], int(single_zoom[offset])
            else:
                rows, zoom = voxels_to_boxes(plain[offset : offset + count])
            offset += count
            more = [Piece(k, rows, start, end, zoom)]
        elif ids is not None:
            more, count = _id_pieces(vol, k, now=now, max_s=max_s)
        else:
            piece, count = _geometry_piece(vol, k, now=now, max_s=max_s, budget=max_voxels - used)
            more = [piece]
        for p in more:
            pieces.add(p)
        start, end = min(p.start for p in more), max(p.end for p in more)
        stored.append(_stored(vol, k, start, end, max(p.zoom for p in more)))
        used += count
        if used > max_voxels:
            raise InvalidInput(
                f"the volumes hold more than {max_voxels} voxels", field=f"volumes[{k}]"
            )
    return pieces, stored


def build_volumes(
    volumes: Sequence[VolumeRequest], *, now: datetime, max_duration_s: int, max_voxels: int
) -> Built:
    """Validate volumes and turn them into leaf boxes (422 naming the bad field)."""
    if not volumes:
        raise InvalidInput("at least one volume is required", field="volumes")
    fast = one_id_volumes(volumes, now=now, max_s=max_duration_s, max_voxels=max_voxels)
    if fast is not None:  # one plain ID per volume (a route): all at once
        n = len(fast.rows)
        pieces = _Pieces([fast.rows], [1] * n, list(range(n)), fast.start, fast.end, fast.zoom)
        stored = fast.stored
    else:
        pieces, stored = _each_volume(volumes, now=now, max_s=max_duration_s, max_voxels=max_voxels)
    rows = np.concatenate(pieces.runs) if len(pieces.runs) > 1 else pieces.runs[0]
    box_piece = np.repeat(np.arange(len(pieces.sizes)), pieces.sizes)
    _check_disjoint(rows, box_piece, pieces)
    per_box = box_piece.tolist()
    one_box = len(per_box) == len(pieces.sizes)  # each piece one box: the lists as they are
    return Built(
        probe=Probe(
            rows,
            pieces.start if one_box else [pieces.start[i] for i in per_box],
            pieces.end if one_box else [pieces.end[i] for i in per_box],
        ),
        zooms=pieces.zoom if one_box else [pieces.zoom[i] for i in per_box],
        rows=stored,
        start=min(pieces.start),
        end=max(pieces.end),
        footprint=footprint(rows),
    )
