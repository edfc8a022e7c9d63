"""4D schema: reservations, volumes and boxes (exclusion), restrictions, obstacles, blockers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:43:25.070356
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_geospatial_table(
        "obstacles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "geometry",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("min_height_m", sa.Float(), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=False),
        sa.Column("zoom", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("min_height_m < height_m", name=op.f("ck_obstacles_height_band")),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_obstacles_principal_id_principals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obstacles")),
        sa.UniqueConstraint("source", "source_ref", name=op.f("uq_obstacles_source_source_ref")),
    )
    op.create_geospatial_index(
        "idx_obstacles_geometry",
        "obstacles",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_obstacles_principal_id"), "obstacles", ["principal_id"], unique=False)
    op.create_geospatial_table(
        "reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=16), server_default="accepted", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("needs_replan", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("time_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "geometry",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
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
        sa.CheckConstraint(
            "state IN ('accepted', 'activated', 'ended', 'cancelled', 'preempted')",
            name=op.f("ck_reservations_state"),
        ),
        sa.CheckConstraint(
            "priority BETWEEN 0 AND 100", name=op.f("ck_reservations_priority_range")
        ),
        sa.CheckConstraint("time_start < time_end", name=op.f("ck_reservations_time_order")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reservations_version_positive")),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_reservations_operator_id_operators"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_reservations_principal_id_principals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_reservations_vehicle_id_vehicles"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint(
            "principal_id",
            "idempotency_key",
            name=op.f("uq_reservations_principal_id_idempotency_key"),
        ),
    )
    op.create_geospatial_index(
        "idx_reservations_geometry",
        "reservations",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_reservations_operator_id"), "reservations", ["operator_id"], unique=False
    )
    op.create_index(
        "ix_reservations_principal_created",
        "reservations",
        ["principal_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reservations_vehicle_id"), "reservations", ["vehicle_id"], unique=False
    )
    op.create_geospatial_table(
        "restrictions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column(
            "geometry",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("altitude_lower_m", sa.Float(), nullable=False),
        sa.Column("altitude_upper_m", sa.Float(), nullable=False),
        sa.Column("time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("zoom", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "altitude_lower_m < altitude_upper_m", name=op.f("ck_restrictions_altitude_band")
        ),
        sa.CheckConstraint(
            "time_start IS NULL OR time_end IS NULL OR time_start < time_end",
            name=op.f("ck_restrictions_time_order"),
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_restrictions_principal_id_principals"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
    )
    op.create_geospatial_index(
        "idx_restrictions_geometry",
        "restrictions",
        ["geometry"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_restrictions_principal_id"), "restrictions", ["principal_id"], unique=False
    )
    op.create_table(
        "blocker_boxes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("restriction_id", sa.Uuid(), nullable=True),
        sa.Column("obstacle_id", sa.Uuid(), nullable=True),
        sa.Column("x", postgresql.INT4RANGE(), nullable=False),
        sa.Column("y", postgresql.INT4RANGE(), nullable=False),
        sa.Column("f", postgresql.INT4RANGE(), nullable=False),
        sa.Column("during", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint(
            "(restriction_id IS NULL) <> (obstacle_id IS NULL)",
            name=op.f("ck_blocker_boxes_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["obstacle_id"],
            ["obstacles.id"],
            name=op.f("fk_blocker_boxes_obstacle_id_obstacles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["restriction_id"],
            ["restrictions.id"],
            name=op.f("fk_blocker_boxes_restriction_id_restrictions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocker_boxes")),
    )
    op.create_index(
        op.f("ix_blocker_boxes_obstacle_id"), "blocker_boxes", ["obstacle_id"], unique=False
    )
    op.create_index(
        op.f("ix_blocker_boxes_restriction_id"), "blocker_boxes", ["restriction_id"], unique=False
    )
    op.create_index(
        "ix_blocker_boxes_space_time",
        "blocker_boxes",
        ["x", "y", "f", "during"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "reservation_boxes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("x", postgresql.INT4RANGE(), nullable=False),
        sa.Column("y", postgresql.INT4RANGE(), nullable=False),
        sa.Column("f", postgresql.INT4RANGE(), nullable=False),
        sa.Column("during", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("x"), "&&"),
            (sa.column("y"), "&&"),
            (sa.column("f"), "&&"),
            (sa.column("during"), "&&"),
            where=sa.text("active"),
            using="gist",
            name="ex_reservation_boxes_overlap",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_boxes_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_boxes")),
    )
    op.create_index(
        op.f("ix_reservation_boxes_reservation_id"),
        "reservation_boxes",
        ["reservation_id"],
        unique=False,
    )
    op.create_table(
        "reservation_volumes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("time_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zoom", sa.Integer(), nullable=True),
        sa.Column("spatial_ids", sa.ARRAY(sa.Text()), nullable=True),
        sa.Column("geometry", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("altitude_lower_m", sa.Float(), nullable=True),
        sa.Column("altitude_upper_m", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "(spatial_ids IS NULL) <> (geometry IS NULL)",
            name=op.f("ck_reservation_volumes_one_form"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_volumes_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_volumes")),
    )
    op.create_index(
        op.f("ix_reservation_volumes_reservation_id"),
        "reservation_volumes",
        ["reservation_id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_reservation_volumes_reservation_id"), table_name="reservation_volumes")
    op.drop_table("reservation_volumes")
    op.drop_index(op.f("ix_reservation_boxes_reservation_id"), table_name="reservation_boxes")
    op.drop_table("reservation_boxes")
    op.drop_index(
        "ix_blocker_boxes_space_time",
        table_name="blocker_boxes",
        postgresql_using="gist",
        postgresql_where=sa.text("active"),
    )
    op.drop_index(op.f("ix_blocker_boxes_restriction_id"), table_name="blocker_boxes")
    op.drop_index(op.f("ix_blocker_boxes_obstacle_id"), table_name="blocker_boxes")
    op.drop_table("blocker_boxes")
    op.drop_index(op.f("ix_restrictions_principal_id"), table_name="restrictions")
    op.drop_geospatial_index(
        "idx_restrictions_geometry",
        table_name="restrictions",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("restrictions")
    op.drop_index(op.f("ix_reservations_vehicle_id"), table_name="reservations")
    op.drop_index("ix_reservations_principal_created", table_name="reservations")
    op.drop_index(op.f("ix_reservations_operator_id"), table_name="reservations")
    op.drop_geospatial_index(
        "idx_reservations_geometry",
        table_name="reservations",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("reservations")
    op.drop_index(op.f("ix_obstacles_principal_id"), table_name="obstacles")
    op.drop_geospatial_index(
        "idx_obstacles_geometry",
        table_name="obstacles",
        postgresql_using="gist",
        column_name="geometry",
    )
    op.drop_geospatial_table("obstacles")
