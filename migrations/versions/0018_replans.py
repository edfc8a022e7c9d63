"""Re-plan proposals and the space they hold.

A proposal holds its route's space with a reservation in the new state ``held`` whose boxes
name the reservation they would replace (``held_for``). The box exclusion now compares
``family`` (``held_for``, else the box's own reservation): a hold never conflicts with the
reservation it is for, and conflicts with every other as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "state IN ('accepted', 'activated', 'ended', 'cancelled', 'preempted')"
NEW_STATES = "state IN ('accepted', 'activated', 'ended', 'cancelled', 'preempted', 'held')"


def upgrade() -> None:
    """Apply this revision."""
    op.drop_constraint(op.f("ck_reservations_state"), "reservations", type_="check")
    op.create_check_constraint(op.f("ck_reservations_state"), "reservations", NEW_STATES)
    op.add_column("reservation_boxes", sa.Column("held_for", sa.Uuid(), nullable=True))
    op.add_column(
        "reservation_boxes",
        sa.Column(
            "family",
            sa.Uuid(),
            sa.Computed("coalesce(held_for, reservation_id)", persisted=True),
            nullable=False,
        ),
    )
    op.execute("ALTER TABLE reservation_boxes DROP CONSTRAINT ex_reservation_boxes_overlap")
    op.execute(
        """ALTER TABLE reservation_boxes ADD CONSTRAINT ex_reservation_boxes_overlap
        EXCLUDE USING gist (x WITH &&, y WITH &&, f WITH &&, during WITH &&, family WITH <>)
        WHERE (active)"""
    )
    op.create_table(
        "replan_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="requested", nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("origin", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("from_position", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("departure_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("volumes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("route", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "cause IN ('preempted', 'restriction', 'contingent')",
            name=op.f("ck_replan_proposals_cause"),
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'pending', 'accepted', 'declined', 'expired', 'failed', "
            "'superseded', 'withdrawn')",
            name=op.f("ck_replan_proposals_state"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_replan_proposals_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["reservations.id"],
            name=op.f("fk_replan_proposals_hold_id_reservations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_replan_proposals_principal_id_principals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replan_proposals")),
    )
    op.create_index(
        "ux_replan_proposals_open",
        "replan_proposals",
        ["reservation_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('requested', 'pending')"),
    )
    op.create_index(
        "ix_replan_proposals_due",
        "replan_proposals",
        ["state", "created_at"],
        postgresql_where=sa.text("state IN ('requested', 'pending')"),
    )
    op.create_index(
        "ix_replan_proposals_principal_created",
        "replan_proposals",
        ["principal_id", "created_at", "id"],
    )


def downgrade() -> None:
    """Revert this revision (holds are dropped: their reservations and boxes)."""
    op.drop_table("replan_proposals")
    op.execute("DELETE FROM reservations WHERE state = 'held'")
    op.execute("ALTER TABLE reservation_boxes DROP CONSTRAINT ex_reservation_boxes_overlap")
    op.execute(
        """ALTER TABLE reservation_boxes ADD CONSTRAINT ex_reservation_boxes_overlap
        EXCLUDE USING gist (x WITH &&, y WITH &&, f WITH &&, during WITH &&) WHERE (active)"""
    )
    op.drop_column("reservation_boxes", "family")
    op.drop_column("reservation_boxes", "held_for")
    op.drop_constraint(op.f("ck_reservations_state"), "reservations", type_="check")
    op.create_check_constraint(op.f("ck_reservations_state"), "reservations", OLD_STATES)
