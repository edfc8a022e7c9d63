"""The fix rate of each monitored flight: the sweeper's mark (when, and the fix count then)
and whether the flight is reporting slower than the minimum rate.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "conformance", sa.Column("rate_mark_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "conformance",
        sa.Column("rate_mark_fixes", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "conformance", sa.Column("slow", sa.Boolean(), server_default="false", nullable=False)
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("conformance", "slow")
    op.drop_column("conformance", "rate_mark_fixes")
    op.drop_column("conformance", "rate_mark_at")
