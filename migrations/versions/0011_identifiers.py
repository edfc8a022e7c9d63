"""Identification: vehicles' registration marks and plates, identifiers unique among live
vehicles, and the record of identification look-ups.

Remote IDs stored before this revision were free text: they are trimmed and uppercased, and
where two live vehicles share one, the later-created vehicle's is cleared, so the unique
index cannot fail on old data.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("registration_mark", "remote_id", "plate")

CLEAR_DUPLICATE_REMOTE_IDS = """UPDATE vehicles v SET remote_id = NULL
WHERE v.status <> 'retired' AND EXISTS (
    SELECT 1 FROM vehicles w WHERE w.remote_id = v.remote_id AND w.status <> 'retired'
        AND (w.created_at, w.id) < (v.created_at, v.id))"""


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("vehicles", sa.Column("registration_mark", sa.Text(), nullable=True))
    op.add_column("vehicles", sa.Column("plate", sa.Text(), nullable=True))
    op.execute("UPDATE vehicles SET remote_id = nullif(upper(btrim(remote_id)), '')")
    op.execute(CLEAR_DUPLICATE_REMOTE_IDS)
    for field in FIELDS:
        op.create_index(
            f"uq_vehicles_{field}_live",
            "vehicles",
            [field],
            unique=True,
            postgresql_where=sa.text(f"{field} IS NOT NULL AND status <> 'retired'"),
        )
    op.create_table(
        "identification_lookups",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column(
            "asked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("identifier", sa.Text(), nullable=True),
        sa.Column("spatial_id", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('found', 'not_found', 'forbidden')",
            name=op.f("ck_identification_lookups_outcome"),
        ),
        sa.CheckConstraint(
            "(identifier IS NULL) <> (spatial_id IS NULL)",
            name=op.f("ck_identification_lookups_one_query"),
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.id"],
            name=op.f("fk_identification_lookups_principal_id_principals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_identification_lookups_vehicle_id_vehicles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_identification_lookups_reservation_id_reservations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identification_lookups")),
    )
    op.create_index("ix_identification_lookups_asked", "identification_lookups", ["asked_at", "id"])
    op.create_index(
        "ix_identification_lookups_principal_asked",
        "identification_lookups",
        ["principal_id", "asked_at", "id"],
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_identification_lookups_principal_asked", "identification_lookups")
    op.drop_index("ix_identification_lookups_asked", "identification_lookups")
    op.drop_table("identification_lookups")
    for field in FIELDS:
        op.drop_index(f"uq_vehicles_{field}_live", "vehicles")
    op.drop_column("vehicles", "plate")
    op.drop_column("vehicles", "registration_mark")
