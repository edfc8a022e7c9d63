"""Terrain: ground heights from imported digital elevation models (DEM rasters).

One ``terrain_tiles`` row is one tile (at most 256 x 256 cells) of an imported DEM, in
WGS84 longitude/latitude (EPSG:4326). ``datum`` says what the cell values measure: ``MSL``
(heights above sea level, as national DEMs such as GSI's give them) or ``W84``.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Raster
from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column

TERRAIN_DATUMS = ("MSL", "W84")
"""What a DEM's cell values may measure."""


class TerrainTile(Base):
    """One tile of an imported DEM (cells in metres, WGS84 lng/lat georeferencing)."""

    __tablename__ = "terrain_tiles"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    datum: Mapped[str] = mapped_column(Text)
    rast: Mapped[object] = mapped_column(Raster(spatial_index=False))
    imported_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint("datum IN ('MSL', 'W84')", name="datum"),
        Index("idx_terrain_tiles_hull", func.ST_ConvexHull(rast), postgresql_using="gist"),
        Index("ix_terrain_tiles_source", "source"),
    )
