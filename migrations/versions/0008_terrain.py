"""Terrain: tiles of imported DEM rasters (PostGIS raster), for heights above the ground.

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Raster

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis_raster")
    op.create_table(
        "terrain_tiles",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("datum", sa.Text(), nullable=False),
        sa.Column("rast", Raster(spatial_index=False), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint("datum IN ('MSL', 'W84')", name=op.f("ck_terrain_tiles_datum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terrain_tiles")),
    )
    op.create_index(
        "idx_terrain_tiles_hull",
        "terrain_tiles",
        [sa.text("ST_ConvexHull(rast)")],
        postgresql_using="gist",
    )
    op.create_index("ix_terrain_tiles_source", "terrain_tiles", ["source"])


def downgrade() -> None:
    """Revert this revision (the postgis_raster extension stays: others may use it)."""
    op.drop_index("ix_terrain_tiles_source", table_name="terrain_tiles")
    op.drop_index("idx_terrain_tiles_hull", table_name="terrain_tiles")
    op.drop_table("terrain_tiles")
