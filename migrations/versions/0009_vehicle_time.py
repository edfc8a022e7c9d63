"""One vehicle, one place: a vehicle's live reservations never overlap in time; and the
causes of ``needs_replan`` (which restriction or obstacle, since when).

Live reservations of one vehicle that already overlap (possible before this revision) are
resolved before the constraint is added: the later-created one is cancelled and its boxes
freed, so the upgrade cannot fail on old data.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "state IN ('accepted', 'activated')"

RESOLVE_OVERLAPS = f"""WITH later AS (
    SELECT DISTINCT b.id FROM reservations a JOIN reservations b
        ON a.vehicle_id = b.vehicle_id AND a.id <> b.id
        AND (a.created_at, a.id) < (b.created_at, b.id)
        AND tstzrange(a.time_start, a.time_end) && tstzrange(b.time_start, b.time_end)
    WHERE a.{LIVE} AND b.{LIVE}
), gone AS (
    UPDATE reservations r SET state = 'cancelled', version = r.version + 1, updated_at = now()
    FROM later WHERE r.id = later.id RETURNING r.id
)
UPDATE reservation_boxes x SET active = false FROM gone WHERE x.reservation_id = gone.id"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(RESOLVE_OVERLAPS)
    op.add_column(
        "reservations",
        sa.Column(
            "span",
            postgresql.TSTZRANGE(),
            sa.Computed("tstzrange(time_start, time_end)", persisted=True),
            nullable=True,
        ),
    )
    op.create_exclude_constraint(
        "ex_reservations_vehicle_time",
        "reservations",
        (sa.column("vehicle_id"), "="),
        (sa.column("span"), "&&"),
        using="gist",
        where=sa.text(LIVE),
    )
    op.create_table(
        "replan_causes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("restriction_id", sa.Uuid(), nullable=True),
        sa.Column("obstacle_id", sa.Uuid(), nullable=True),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "(restriction_id IS NULL) <> (obstacle_id IS NULL)",
            name=op.f("ck_replan_causes_one_cause"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_replan_causes_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["restriction_id"],
            ["restrictions.id"],
            name=op.f("fk_replan_causes_restriction_id_restrictions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["obstacle_id"],
            ["obstacles.id"],
            name=op.f("fk_replan_causes_obstacle_id_obstacles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replan_causes")),
        sa.UniqueConstraint(
            "reservation_id",
            "restriction_id",
            name=op.f("uq_replan_causes_reservation_id_restriction_id"),
        ),
        sa.UniqueConstraint(
            "reservation_id",
            "obstacle_id",
            name=op.f("uq_replan_causes_reservation_id_obstacle_id"),
        ),
    )
    op.create_index(
        op.f("ix_replan_causes_restriction_id"), "replan_causes", ["restriction_id"], unique=False
    )
    op.create_index(
        op.f("ix_replan_causes_obstacle_id"), "replan_causes", ["obstacle_id"], unique=False
    )
    # reservations already marked keep their flag; their cause was not recorded before
    # this revision, so they list none until a blocker marks them again


def downgrade() -> None:
    """Revert this revision (btree_gist stays: the box exclusion needs it)."""
    op.drop_index(op.f("ix_replan_causes_obstacle_id"), table_name="replan_causes")
    op.drop_index(op.f("ix_replan_causes_restriction_id"), table_name="replan_causes")
    op.drop_table("replan_causes")
    op.execute("ALTER TABLE reservations DROP CONSTRAINT ex_reservations_vehicle_time")
    op.drop_column("reservations", "span")
