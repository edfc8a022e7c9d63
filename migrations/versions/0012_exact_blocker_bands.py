"""Blocker boxes store exactly their declared band up and down (leaf-precision f ranges).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 21:10:00

Boxes written before this revision carry the band rounded out to the voxels of their
horizontal zoom (a 0-150 m restriction at zoom 16 reached 512 m). Each box's ``f`` range
becomes every 1 m leaf voxel its owner's declared band touches; ``x`` and ``y`` stay. Boxes
of one owner stacked in ``f`` then overlap, which blockers may.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Cut every blocker box's f range to its owner's declared band."""
    op.execute(
        """UPDATE blocker_boxes b SET f = int4range(
            floor(r.altitude_lower_m)::int, ceil(r.altitude_upper_m)::int)
        FROM restrictions r WHERE b.restriction_id = r.id"""
    )
    op.execute(
        """UPDATE blocker_boxes b SET f = int4range(
            floor(o.min_height_m)::int, ceil(o.height_m)::int)
        FROM obstacles o WHERE b.obstacle_id = o.id"""
    )


def downgrade() -> None:
    """Nothing to undo: the rounded-out bands are not recovered (they were too large)."""
