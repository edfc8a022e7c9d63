"""Telemetry: fixes partitioned by day, the latest fix per vehicle, conformance.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITION_FUNCTION = """
CREATE FUNCTION kukan_position_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    name text := 'positions_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('kukan_position_partition'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)',
                name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC'
            );
        END IF;
    END IF;
    RETURN name;
END $$
"""
"""Create (once, race-safe) the partition of ``positions`` holding one UTC day."""

FIX_COLUMNS = "vehicle_id, time, id, received_at, lng, lat, alt_m, speed_mps, heading_deg, voxel"


def _fix_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("alt_m", sa.Float(), nullable=False),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("voxel", sa.Text(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("conforming", sa.Boolean(), nullable=True),
    ]


def _fix_checks(table: str) -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)",
            name=op.f(f"ck_{table}_heading_range"),
        ),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f(f"ck_{table}_lat_range")),
        sa.CheckConstraint("lng BETWEEN -180 AND 180", name=op.f(f"ck_{table}_lng_range")),
        sa.CheckConstraint(
            "speed_mps IS NULL OR speed_mps >= 0", name=op.f(f"ck_{table}_speed_nonnegative")
        ),
    ]


def upgrade() -> None:
    """Apply this revision."""
    op.execute("ALTER TABLE positions RENAME TO positions_before")
    op.execute("ALTER INDEX pk_positions RENAME TO pk_positions_before")
    op.create_table(
        "positions",
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        *_fix_columns(),
        *_fix_checks("positions"),
        sa.PrimaryKeyConstraint("vehicle_id", "time", name=op.f("pk_positions")),
        postgresql_partition_by="RANGE (time)",
    )
    op.execute(PARTITION_FUNCTION)
    op.execute(
        "SELECT kukan_position_partition(d::date) FROM ("
        " SELECT DISTINCT (time AT TIME ZONE 'UTC')::date AS d FROM positions_before"
        " UNION SELECT (now() AT TIME ZONE 'UTC')::date + k FROM generate_series(-1, 2) k) days"
    )
    op.execute(
        f"INSERT INTO positions ({FIX_COLUMNS}) OVERRIDING SYSTEM VALUE"
        f" SELECT DISTINCT ON (vehicle_id, time) {FIX_COLUMNS} FROM positions_before"
        " ORDER BY vehicle_id, time, id DESC"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('positions', 'id'),"
        " coalesce((SELECT max(id) FROM positions_before), 0) + 1, false)"
    )
    op.create_table(
        "vehicle_latest",
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        *_fix_columns(),
        *_fix_checks("vehicle_latest"),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_vehicle_latest_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_vehicle_latest")),
    )
    op.execute(
        f"INSERT INTO vehicle_latest ({FIX_COLUMNS})"
        f" SELECT DISTINCT ON (vehicle_id) {FIX_COLUMNS} FROM positions"
        " ORDER BY vehicle_id, time DESC"
    )
    op.execute("DROP TABLE positions_before")
    op.create_table(
        "conformance",
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outside_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lost", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "state IN ('activated', 'nonconforming', 'contingent', 'ended')",
            name=op.f("ck_conformance_state"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_conformance_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_conformance_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reservation_id", name=op.f("pk_conformance")),
    )
    op.create_index(op.f("ix_conformance_vehicle_id"), "conformance", ["vehicle_id"])
    op.create_index(
        "ix_conformance_open", "conformance", ["state"], postgresql_where="state <> 'ended'"
    )
    op.create_table(
        "conformance_transitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "to_state IN ('activated', 'nonconforming', 'contingent', 'ended')",
            name=op.f("ck_conformance_transitions_to_state"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_conformance_transitions_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conformance_transitions")),
    )
    op.create_index(
        "ix_conformance_transitions_reservation",
        "conformance_transitions",
        ["reservation_id", "id"],
    )


def downgrade() -> None:
    """Revert this revision (the flat positions table of revision 0001, fixes kept)."""
    op.drop_table("conformance_transitions")
    op.drop_table("conformance")
    op.drop_table("vehicle_latest")
    op.execute("ALTER TABLE positions RENAME TO positions_after")
    op.execute("ALTER INDEX pk_positions RENAME TO pk_positions_after")
    op.execute(
        """
        CREATE TABLE positions (
            id bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL,
            vehicle_id uuid NOT NULL,
            time timestamptz NOT NULL,
            received_at timestamptz DEFAULT now() NOT NULL,
            lng float8 NOT NULL, lat float8 NOT NULL, alt_m float8 NOT NULL,
            speed_mps float8, heading_deg float8,
            geom geometry(POINTZ, 4326) NOT NULL,
            voxel text NOT NULL,
            CONSTRAINT pk_positions PRIMARY KEY (id),
            CONSTRAINT fk_positions_vehicle_id_vehicles FOREIGN KEY (vehicle_id)
                REFERENCES vehicles (id) ON DELETE CASCADE,
            CONSTRAINT ck_positions_heading_range
                CHECK (heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)),
            CONSTRAINT ck_positions_lat_range CHECK (lat BETWEEN -90 AND 90),
            CONSTRAINT ck_positions_lng_range CHECK (lng BETWEEN -180 AND 180),
            CONSTRAINT ck_positions_speed_nonnegative CHECK (speed_mps IS NULL OR speed_mps >= 0)
        )
        """
    )
    op.execute(
        "INSERT INTO positions (id, vehicle_id, time, received_at, lng, lat, alt_m, speed_mps,"
        " heading_deg, geom, voxel) OVERRIDING SYSTEM VALUE SELECT id, vehicle_id, time,"
        " received_at, lng, lat, alt_m, speed_mps, heading_deg,"
        " ST_SetSRID(ST_MakePoint(lng, lat, alt_m), 4326), voxel FROM positions_after"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('positions', 'id'),"
        " coalesce((SELECT max(id) FROM positions), 0) + 1, false)"
    )
    op.execute("DROP TABLE positions_after")
    op.execute("DROP FUNCTION kukan_position_partition(date)")
    op.execute("CREATE INDEX idx_positions_geom ON positions USING gist (geom)")
    op.execute(
        "CREATE INDEX ix_positions_vehicle_time ON positions (vehicle_id, time DESC, id DESC)"
    )
