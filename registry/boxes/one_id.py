"""Volumes of one plain spatial ID each (a route's visits) validated and boxed in arrays.

A route books one volume per voxel and window, thousands of them. When every volume is
one plain ID with a window that is plainly valid (ordered, not over, not too long), the
IDs are parsed at once (:func:`registry.boxes.id_batch.plain_batch`), each becomes its
leaf box, and the stored rows are made in one pass. Anything else, or any doubt about a
window, answers None and the volume-by-volume path validates (and names the bad field).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from registry.boxes.id_batch import leaf_boxes, plain_batch

if TYPE_CHECKING:
    from registry.boxes.volumes import VolumeRequest

MARGIN_S = 1e-3
"""Windows this close to a limit go the exact way (timestamps are floats)."""


@dataclass(frozen=True)
class OneIdVolumes:
    """One leaf box per volume, its window and zoom, and the stored rows."""

    rows: np.ndarray
    start: list[datetime]
    end: list[datetime]
    zoom: list[int]
    stored: list[dict[str, Any]]


def one_id_volumes(
    volumes: Sequence[VolumeRequest], *, now: datetime, max_s: int, max_voxels: int
) -> OneIdVolumes | None:
    """The volumes' boxes when each is one plain ID with a valid window; else None."""
    if len(volumes) > max_voxels:
        return None
    ids: list[Sequence[str]] = []
    start: list[datetime] = []
    end: list[datetime] = []
    for v in volumes:
        if (
            v.spatial_ids is None
            or len(v.spatial_ids) != 1
            or v.geometry is not None
            or v.time_start is None
            or v.time_end is None
            or v.time_start.tzinfo is None
            or v.time_end.tzinfo is None
        ):
            return None
        ids.append(v.spatial_ids)
        start.append(v.time_start)
        end.append(v.time_end)
    t0 = np.array([t.timestamp() for t in start])
    t1 = np.array([t.timestamp() for t in end])
    doubt = (t1 <= t0 + MARGIN_S) | (t1 <= now.timestamp() + MARGIN_S)
    if (doubt | (t1 - t0 > max_s - MARGIN_S)).any():
        return None
    plain = plain_batch(ids)
    if plain is None:
        return None
    rows, zooms = leaf_boxes(plain)
    zoom = zooms.tolist()
    stored = [
        {
            "ordinal": k,
            "time_start": start[k],
            "time_end": end[k],
            "zoom": zoom[k] if v.zoom is None else v.zoom,
            "spatial_ids": list(v.spatial_ids or ()),
            "geometry": None,
            "altitude_lower_m": v.altitude_lower,
            "altitude_upper_m": v.altitude_upper,
        }
        for k, v in enumerate(volumes)
    ]
    return OneIdVolumes(rows, start, end, zoom, stored)
