"""The plain spatial IDs of many volumes parsed at once, and one leaf box per ID.

A route books one volume per voxel and window: thousands of volumes of one ID each.
Parsing them one volume at a time costs a regular expression, a validation and a merge
per volume; here all IDs of all volumes go through one regular expression and one
vectorised validation, and an ID alone in its volume becomes its leaf box directly (a
single voxel needs no merging).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from registry.boxes.leaf import plain_ids
from registry.models import LEAF_ZOOM


def plain_batch(id_lists: Sequence[Sequence[str]]) -> np.ndarray | None:
    """``(n, 4)`` rows ``(z, f, x, y)`` of all IDs of the lists, in order, when every one
    is a plain in-range ``z/f/x/y``; None to take the per-volume path (which names the
    first bad ID, or handles spatio-temporal and extended IDs)."""
    flat = [t for ids in id_lists for t in ids]
    return plain_ids(flat) if flat else None


def leaf_boxes(zfxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each voxel ``(z, f, x, y)`` as its own leaf box ``(x0, x1, y0, y1, f0, f1)``, and its
    zoom (at most the leaf zoom: a finer voxel is its leaf ancestor)."""
    z = zfxy[:, 0]
    finer = np.maximum(z - LEAF_ZOOM, 0)
    zoom = z - finer
    f, x, y = (zfxy[:, k] >> finer for k in (1, 2, 3))
    s = LEAF_ZOOM - zoom
    rows = np.column_stack([x << s, (x + 1) << s, y << s, (y + 1) << s, f << s, (f + 1) << s])
    return rows, zoom
