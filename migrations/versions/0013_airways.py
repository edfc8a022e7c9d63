"""Airways (drone corridors) and the vehicles that must keep to them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "airways",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "geometry",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("width_m", sa.Float(), nullable=False),
        sa.Column("altitude_lower_m", sa.Float(), nullable=False),
        sa.Column("altitude_upper_m", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=16), server_default="both", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "altitude_lower_m < altitude_upper_m", name=op.f("ck_airways_altitude_band")
        ),
        sa.CheckConstraint("width_m > 0 AND width_m <= 2000", name=op.f("ck_airways_width")),
        sa.CheckConstraint("direction IN ('both', 'forward')", name=op.f("ck_airways_direction")),
        sa.CheckConstraint(
            "name IS NULL OR length(name) <= 200", name=op.f("ck_airways_name_length")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_airways_principal_id_principals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airways")),
    )
    op.create_geospatial_index(
        "idx_airways_geometry",
        "airways",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_airways_principal_id"), "airways", ["principal_id"], unique=False)
    op.create_index("ix_airways_created", "airways", ["created_at", "id"], unique=False)
    op.add_column(
        "vehicles",
        sa.Column("airways_only", sa.Boolean(), server_default="false", nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("vehicles", "airways_only")
    op.drop_index("ix_airways_created", table_name="airways")
    op.drop_index(op.f("ix_airways_principal_id"), table_name="airways")
    op.drop_geospatial_index(
        "idx_airways_geometry",
        table_name="airways",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_table("airways")
