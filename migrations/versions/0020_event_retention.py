"""Event retention: how far the log has been cut, and an index to find what is old.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "event_retention",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("dropped", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_event_retention_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_retention")),
    )
    op.create_index("ix_events_time", "events", ["time"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_events_time", table_name="events")
    op.drop_table("event_retention")
