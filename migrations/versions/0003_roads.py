"""Ground routing graph: road nodes and edges (OSM), with ground-level spatial IDs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:01:10.996115
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_geospatial_table(
        "road_nodes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("ref", sa.BigInteger(), nullable=False),
        sa.Column(
            "geometry",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("spatial_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_nodes")),
        sa.UniqueConstraint("source", "ref", name=op.f("uq_road_nodes_source_ref")),
    )
    op.create_geospatial_index(
        "idx_road_nodes_geometry",
        "road_nodes",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "road_edges",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("from_node", sa.BigInteger(), nullable=False),
        sa.Column("to_node", sa.BigInteger(), nullable=False),
        sa.Column("way_ref", sa.BigInteger(), nullable=False),
        sa.Column("highway", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("walk", sa.Boolean(), nullable=False),
        sa.Column("drive_forward", sa.Boolean(), nullable=False),
        sa.Column("drive_backward", sa.Boolean(), nullable=False),
        sa.Column("walk_speed_mps", sa.Float(), nullable=False),
        sa.Column("drive_speed_mps", sa.Float(), nullable=False),
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
        sa.Column("spatial_ids", sa.ARRAY(sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_node"],
            ["road_nodes.id"],
            name=op.f("fk_road_edges_from_node_road_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_node"],
            ["road_nodes.id"],
            name=op.f("fk_road_edges_to_node_road_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edges")),
    )
    op.create_geospatial_index(
        "idx_road_edges_geometry",
        "road_edges",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_road_edges_from_node"), "road_edges", ["from_node"], unique=False)
    op.create_index("ix_road_edges_source_way", "road_edges", ["source", "way_ref"], unique=False)
    op.create_index(op.f("ix_road_edges_to_node"), "road_edges", ["to_node"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_road_edges_to_node"), table_name="road_edges")
    op.drop_index("ix_road_edges_source_way", table_name="road_edges")
    op.drop_index(op.f("ix_road_edges_from_node"), table_name="road_edges")
    op.drop_geospatial_index(
        "idx_road_edges_geometry",
        table_name="road_edges",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("road_edges")
    op.drop_geospatial_index(
        "idx_road_nodes_geometry",
        table_name="road_nodes",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("road_nodes")
