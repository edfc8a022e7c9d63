"""Kukan spatial IDs (空間ID): exact, vectorised 3D/4D voxel IDs over Web Mercator tiles."""

from spatialid import vectorized
from spatialid.encodings import (
    descendant_key_range,
    key_to_voxel,
    tilehash_to_voxel,
    voxel_to_key,
    voxel_to_tilehash,
)
from spatialid.errors import SpatialIdError, TooManyVoxels
from spatialid.hierarchy import children, is_ancestor, neighbours, parent, shift
from spatialid.parse import (
    ExtendedId,
    extended_to_voxels,
    parse,
    parse_voxel,
    to_extended,
    validate_extended,
)
from spatialid.points import (
    lnglat_to_voxel,
    voxel_bounds,
    voxel_bounds_in_crs,
    voxel_center,
    voxel_vertices,
    voxel_vertices_in_crs,
)
from spatialid.temporal import (
    SpatioTemporalId,
    spatio_temporal_ids,
    time_to_index,
    window_to_indices,
)
from spatialid.voxel import MAX_ZOOM, MIN_ZOOM, Voxel, validate, voxel_height

__all__ = [
    "MAX_ZOOM",
    "MIN_ZOOM",
    "ExtendedId",
    "SpatialIdError",
    "SpatioTemporalId",
    "TooManyVoxels",
    "Voxel",
    "children",
    "descendant_key_range",
    "extended_to_voxels",
    "is_ancestor",
    "key_to_voxel",
    "lnglat_to_voxel",
    "neighbours",
    "parent",
    "parse",
    "parse_voxel",
    "shift",
    "spatio_temporal_ids",
    "tilehash_to_voxel",
    "time_to_index",
    "to_extended",
    "validate",
    "validate_extended",
    "vectorized",
    "voxel_bounds",
    "voxel_bounds_in_crs",
    "voxel_center",
    "voxel_height",
    "voxel_to_key",
    "voxel_to_tilehash",
    "voxel_vertices",
    "voxel_vertices_in_crs",
    "window_to_indices",
]

# --- sets and geometry (voxelset.py, geometry.py, h3interop.py, spacetime.py) ---
from spatialid.geometry import box_to_voxels, geometry_to_voxels
from spatialid.h3interop import voxelset_to_h3
from spatialid.spacetime import VoxelSet4D
from spatialid.tube import tube_to_voxels
from spatialid.voxelset import VoxelSet

__all__ += [
    "VoxelSet",
    "VoxelSet4D",
    "box_to_voxels",
    "geometry_to_voxels",
    "tube_to_voxels",
    "voxelset_to_h3",
]
