"""A geographic bounding box: west, south, east, north in degrees (WGS 84)."""

from __future__ import annotations

from typing import NamedTuple


class BBox(NamedTuple):
    """``west < east`` and ``south < north``, in range (the API parser checks it)."""

    west: float
    south: float
    east: float
    north: float

    @property
    def area_deg2(self) -> float:
        """Its area in square degrees."""
        return (self.east - self.west) * (self.north - self.south)
