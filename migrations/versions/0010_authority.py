"""Authority: operators' priority grants, municipalities' jurisdictions, what preempted what.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "operators",
        sa.Column("max_priority", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "operators",
        sa.Column("may_preempt", sa.Boolean(), server_default="false", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_operators_max_priority_range"), "operators", "max_priority BETWEEN 0 AND 100"
    )
    op.add_column(
        "principals",
        sa.Column(
            "jurisdiction",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
    )
    op.create_geospatial_index(
        "idx_principals_jurisdiction",
        "principals",
        ["jurisdiction"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_check_constraint(
        op.f("ck_principals_jurisdiction_role"),
        "principals",
        "jurisdiction IS NULL OR role = 'municipality'",
    )
    op.add_column("reservations", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("reservations", sa.Column("preempted_by_id", sa.Uuid(), nullable=True))
    op.add_column("reservations", sa.Column("preempted_by_priority", sa.Integer(), nullable=True))
    op.add_column("reservations", sa.Column("preempted_by_reason", sa.Text(), nullable=True))
    op.add_column(
        "reservations", sa.Column("preempted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_check_constraint(
        op.f("ck_reservations_reason_length"), "reservations", "length(reason) <= 200"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_constraint(op.f("ck_reservations_reason_length"), "reservations", type_="check")
    for column in (
        "preempted_at",
        "preempted_by_reason",
        "preempted_by_priority",
        "preempted_by_id",
        "reason",
    ):
        op.drop_column("reservations", column)
    op.drop_constraint(op.f("ck_principals_jurisdiction_role"), "principals", type_="check")
    op.drop_geospatial_index(
        "idx_principals_jurisdiction",
        table_name="principals",
        postgresql_using="gist",
        column_name="jurisdiction",
    )
    op.drop_column("principals", "jurisdiction")
    op.drop_constraint(op.f("ck_operators_max_priority_range"), "operators", type_="check")
    op.drop_column("operators", "may_preempt")
    op.drop_column("operators", "max_priority")
