"""Telemetry: the history of position fixes (partitioned by day), the latest fix of each
vehicle, and the conformance of each monitored reservation with its transitions.

``positions`` is partitioned by range of ``time``, one partition per UTC day named
``positions_pYYYYMMDD``; :mod:`registry.services.partitions` creates each day before a fix
needs it and drops those past the retention. A fix is identified by
``(vehicle_id, time)``, so a repeated fix is the same fix. ``vehicle_latest`` keeps the
newest fix of each vehicle and never moves back in time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values

POSITION_VOXEL_ZOOM = 25
"""Zoom of the spatial ID stored with each fix (about 1 m voxels)."""
PARTITION_PREFIX = "positions_p"
"""Name prefix of the daily partitions of ``positions`` (made at run time, not migrated)."""
CONFORMANCE_STATES = ("activated", "nonconforming", "contingent", "ended")
"""The states of a monitored reservation, named as ASTM F3548 names them."""


def _fix_checks() -> tuple[CheckConstraint, ...]:
    """The range checks of a fix (fresh objects: each table needs its own)."""
    return (
        CheckConstraint("lng BETWEEN -180 AND 180", name="lng_range"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("speed_mps IS NULL OR speed_mps >= 0", name="speed_nonnegative"),
        CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)", name="heading_range"
        ),
    )


class Position(Base):
    """One fix of a vehicle: where it was at ``time``, with its spatial ID."""

    __tablename__ = "positions"

    vehicle_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """The vehicle (no foreign key: vehicles are never erased, the insert has just checked
    it, and the per-row check would cost a large share of every insert)."""
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity())
    received_at: Mapped[datetime] = created_column()
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    voxel: Mapped[str] = mapped_column(Text)
    reservation_id: Mapped[uuid.UUID | None] = mapped_column()
    """The live reservation covering the fix's time, if any (not a foreign key: history
    outlives reservations)."""
    conforming: Mapped[bool | None] = mapped_column(Boolean)
    """Inside that reservation at the fix's time (None: no reservation to check)."""

    __table_args__ = (
        *_fix_checks(),
        {"postgresql_partition_by": "RANGE (time)"},
    )


class VehicleLatest(Base):
    """The newest fix of a vehicle (by the fix's time; late fixes never replace it)."""

    __tablename__ = "vehicle_latest"

    vehicle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE"), primary_key=True
    )
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    voxel: Mapped[str] = mapped_column(Text)
    reservation_id: Mapped[uuid.UUID | None] = mapped_column()
    conforming: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = _fix_checks()


class Conformance(Base):
    """How a reservation's flight keeps to it: its state and what the monitor last saw."""

    __tablename__ = "conformance"

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    vehicle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When the current state began (a fix's time, or the monitor's clock)."""
    outside_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """The time of the first fix of the current stretch outside the reservation."""
    last_fix_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fixes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lost: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    """The monitor has reported the telemetry lost, and no fix has come since."""
    rate_mark_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the sweeper last marked the fix count (the start of the rate window)."""
    rate_mark_fixes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    slow: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    """The last window had fewer fixes than the minimum rate asks (told once)."""

    __table_args__ = (
        CheckConstraint(in_values("state", CONFORMANCE_STATES), name="state"),
        Index("ix_conformance_open", "state", postgresql_where="state <> 'ended'"),
    )


class ConformanceTransition(Base):
    """One change of a reservation's conformance state, and why."""

    __tablename__ = "conformance_transitions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE")
    )
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(in_values("to_state", CONFORMANCE_STATES), name="to_state"),
        Index("ix_conformance_transitions_reservation", "reservation_id", "id"),
    )
