"""The 4D reservations: a reservation, its submitted volumes and its leaf-zoom boxes.

Every stored volume is a set of boxes of half-open integer ranges of the spatial ID
indices ``x``, ``y`` and ``f`` at the leaf zoom ``LEAF_ZOOM`` (25, 1 m voxels) plus a
``tstzrange`` (see :mod:`registry.boxes`). The exclusion constraint on
``reservation_boxes`` makes a double booking impossible: PostgreSQL rejects any active
box that overlaps another active box in x, y, f and time. Its partial GiST index also
serves the lookups of active boxes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import INT4RANGE, JSONB, TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values

LEAF_ZOOM = 25
"""Zoom of every stored box; IDs finer than this are rounded up to their z25 ancestor."""

STATES = ("accepted", "activated", "ended", "cancelled", "preempted")
LIVE_STATES = ("accepted", "activated")
PRIORITIES = {"normal": 0, "medical": 50, "police": 90, "emergency": 100}
"""Documented priority levels (0..100; a higher one preempts a lower one where granted)."""
REASON_MAX = 200
"""Longest ``reason`` a reservation may carry."""


class Reservation(Base):
    """A 4D reservation (a flight corridor or a route) owned by one principal."""

    __tablename__ = "reservations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principals.id", ondelete="RESTRICT")
    )
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="RESTRICT"), index=True
    )
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vehicles.id", ondelete="RESTRICT"), index=True
    )
    priority: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    state: Mapped[str] = mapped_column(String(16), server_default="accepted", default="accepted")
    version: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    needs_replan: Mapped[bool] = mapped_column(Boolean, server_default="false", default=False)
    time_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    geometry: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was booked (short text); shown to those it preempts."""
    preempted_by_id: Mapped[uuid.UUID | None] = mapped_column()
    """The reservation that preempted this one (no foreign key: a record, not a link)."""
    preempted_by_priority: Mapped[int | None] = mapped_column(Integer)
    preempted_by_reason: Mapped[str | None] = mapped_column(Text)
    preempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint(in_values("state", STATES), name="state"),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        CheckConstraint("time_start < time_end", name="time_order"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"length(reason) <= {REASON_MAX}", name="reason_length"),
        UniqueConstraint("principal_id", "idempotency_key"),
        Index("ix_reservations_principal_created", "principal_id", "created_at", "id"),
    )


class ReservationVolume(Base):
    """One volume of a reservation as submitted (spatial IDs, or a geometry and a band)."""

    __tablename__ = "reservation_volumes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    time_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    zoom: Mapped[int | None] = mapped_column(Integer)
    spatial_ids: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    altitude_lower_m: Mapped[float | None] = mapped_column(Float)
    altitude_upper_m: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("(spatial_ids IS NULL) <> (geometry IS NULL)", name="one_form"),
    )


class ReservationBox(Base):
    """One leaf-zoom box of a reservation; active boxes never overlap (exclusion)."""

    __tablename__ = "reservation_boxes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    x: Mapped[Range[int]] = mapped_column(INT4RANGE)
    y: Mapped[Range[int]] = mapped_column(INT4RANGE)
    f: Mapped[Range[int]] = mapped_column(INT4RANGE)
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    priority: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true", default=True)

    __table_args__ = (
        ExcludeConstraint(
            ("x", "&&"),
            ("y", "&&"),
            ("f", "&&"),
            ("during", "&&"),
            name="ex_reservation_boxes_overlap",
            using="gist",
            where=text("active"),
        ),
    )
