"""H3 interop: the H3 cells (h3 v4) covering the 2D footprint of a voxel set.

The footprint is the union of the set's merged boxes projected to the ground (all ``f``
collapsed), as shapely polygons in lng/lat, with edges densified to at most 0.01 degree
so H3's great-circle edges follow the tile edges closely. Cells are chosen with
``h3.h3shape_to_cells_experimental(shape, res, contain="overlap")``: every cell whose
area overlaps the footprint (a cover, not a centroid sample).

Examples
--------
>>> from spatialid.geometry import box_to_voxels
>>> vs = box_to_voxels(139.76, 35.68, 0, 139.77, 35.69, 100, 16)
>>> cells = voxelset_to_h3(vs, 7)
>>> len(cells) >= 1, all(isinstance(c, str) for c in cells)
(True, True)
"""

from __future__ import annotations

import h3
import numpy as np
import shapely

from spatialid.errors import SpatialIdError
from spatialid.projection import tile_x_to_lng, tile_y_to_lat
from spatialid.voxelset import VoxelSet

DENSIFY_DEG = 0.01


def footprint(vs: VoxelSet) -> shapely.Geometry:
    """The 2D footprint of ``vs`` as a (multi)polygon in lng/lat.

    >>> footprint(VoxelSet.from_runs(1, [0, 1], 0, 0, 1)).bounds
    (-180.0, 0.0, 0.0, 85.0511287798066)
    """
    z = vs.zoom
    _, y, x0, x1 = vs.runs()
    flat = VoxelSet.from_runs(z, np.zeros_like(y), y, x0, x1).boxes()
    boxes = shapely.box(
        tile_x_to_lng(flat[:, 0], z),
        tile_y_to_lat(flat[:, 3], z),
        tile_x_to_lng(flat[:, 1], z),
        tile_y_to_lat(flat[:, 2], z),
    )
    return shapely.union_all(boxes)


def voxelset_to_h3(vs: VoxelSet, res: int) -> set[str]:
    """The H3 cells at resolution ``res`` overlapping the footprint of ``vs``.

    Parameters
    ----------
    vs
        Any voxel set (its altitude is ignored).
    res
        H3 resolution, 0..15.
    """
    if isinstance(res, bool) or not isinstance(res, int) or not 0 <= res <= 15:
        raise SpatialIdError(f"res={res!r} must be an integer in [0, 15]")
    if not vs:
        return set()
    geom = shapely.segmentize(footprint(vs), DENSIFY_DEG)
    shape = h3.geo_to_h3shape(geom)
    return set(h3.h3shape_to_cells_experimental(shape, res, contain="overlap"))
