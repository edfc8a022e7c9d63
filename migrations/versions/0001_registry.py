"""Registry schema: operators, principals, API keys, vehicles, positions.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 09:28:29.727550
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "operators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200", name=op.f("ck_operators_name_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("name", name=op.f("uq_operators_name")),
    )
    op.create_table(
        "principals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('operator', 'fleet', 'municipality', 'admin')",
            name=op.f("ck_principals_role"),
        ),
        sa.CheckConstraint(
            "role NOT IN ('operator', 'fleet') OR operator_id IS NOT NULL",
            name=op.f("ck_principals_operator_required"),
        ),
        sa.CheckConstraint(
            "length(name) BETWEEN 1 AND 200", name=op.f("ck_principals_name_length")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_principals_operator_id_operators"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals")),
    )
    op.create_index(op.f("ix_principals_operator_id"), "principals", ["operator_id"], unique=False)
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=True),
        sa.Column("width_m", sa.Float(), nullable=True),
        sa.Column("height_m", sa.Float(), nullable=True),
        sa.Column("max_speed_mps", sa.Float(), nullable=False),
        sa.Column("climb_rate_mps", sa.Float(), nullable=True),
        sa.Column("descent_rate_mps", sa.Float(), nullable=True),
        sa.Column("altitude_lower_m", sa.Float(), nullable=True),
        sa.Column("altitude_upper_m", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('drone', 'robot', 'car')", name=op.f("ck_vehicles_kind")),
        sa.CheckConstraint(
            "status IN ('active', 'maintenance', 'retired')", name=op.f("ck_vehicles_status")
        ),
        sa.CheckConstraint(
            "altitude_lower_m IS NULL OR altitude_upper_m IS NULL "
            "OR altitude_lower_m < altitude_upper_m",
            name=op.f("ck_vehicles_altitude_band"),
        ),
        sa.CheckConstraint(
            "coalesce(climb_rate_mps, 0) >= 0 AND coalesce(descent_rate_mps, 0) >= 0",
            name=op.f("ck_vehicles_rates_nonnegative"),
        ),
        sa.CheckConstraint(
            "coalesce(length_m, 1) > 0 AND coalesce(width_m, 1) > 0 AND coalesce(height_m, 1) > 0",
            name=op.f("ck_vehicles_dimensions_positive"),
        ),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 200", name=op.f("ck_vehicles_name_length")),
        sa.CheckConstraint("max_speed_mps > 0", name=op.f("ck_vehicles_max_speed_positive")),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_vehicles_operator_id_operators"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
    )
    op.create_index(
        "ix_vehicles_operator_created",
        "vehicles",
        ["operator_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_vehicles_operator_id"), "vehicles", ["operator_id"], unique=False)
    op.create_index(
        "uq_vehicles_operator_serial",
        "vehicles",
        ["operator_id", "serial"],
        unique=True,
        postgresql_where=sa.text("serial IS NOT NULL"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_api_keys_key_hash_hex")),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_api_keys_principal_id_principals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_principal_id"), "api_keys", ["principal_id"], unique=False)
    op.create_geospatial_table(
        "positions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("alt_m", sa.Float(), nullable=False),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINTZ",
                srid=4326,
                dimension=3,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("voxel", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)",
            name=op.f("ck_positions_heading_range"),
        ),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_positions_lat_range")),
        sa.CheckConstraint("lng BETWEEN -180 AND 180", name=op.f("ck_positions_lng_range")),
        sa.CheckConstraint(
            "speed_mps IS NULL OR speed_mps >= 0", name=op.f("ck_positions_speed_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_positions_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    op.create_geospatial_index(
        "idx_positions_geom",
        "positions",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_positions_vehicle_time",
        "positions",
        ["vehicle_id", sa.literal_column("time DESC"), sa.literal_column("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_positions_vehicle_time", table_name="positions")
    op.drop_geospatial_index(
        "idx_positions_geom", table_name="positions", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("positions")
    op.drop_index(op.f("ix_api_keys_principal_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index(
        "uq_vehicles_operator_serial",
        table_name="vehicles",
        postgresql_where=sa.text("serial IS NOT NULL"),
    )
    op.drop_index(op.f("ix_vehicles_operator_id"), table_name="vehicles")
    op.drop_index("ix_vehicles_operator_created", table_name="vehicles")
    op.drop_table("vehicles")
    op.drop_index(op.f("ix_principals_operator_id"), table_name="principals")
    op.drop_table("principals")
    op.drop_table("operators")
    # The postgis and btree_gist extensions stay: other schemas may use them.
