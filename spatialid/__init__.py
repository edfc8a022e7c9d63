"""Kukan spatial IDs (空間ID): exact, vectorised 3D/4D voxel IDs over Web Mercator tiles."""

from spatialid.errors import SpatialIdError
from spatialid.voxel import MAX_ZOOM, MIN_ZOOM, Voxel, validate, voxel_height

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "SpatialIdError", "Voxel", "validate", "voxel_height"]
