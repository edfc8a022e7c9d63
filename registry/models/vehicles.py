"""Vehicles (drones, robots, cars) of an operator."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values, uuid_pk

VEHICLE_KINDS = ("drone", "robot", "car")
DEFAULT_ALTITUDE_BANDS = {"drone": (0.0, 150.0), "robot": (0.0, 4.0), "car": (0.0, 4.0)}
"""The altitude band (metres, W84) of each kind where a vehicle sets none; robots and cars
always keep to theirs (the ground band)."""
DEFAULT_SNAP_DISTANCES_M = {"robot": 50.0, "car": 100.0}
"""How far (metres) an origin or destination of a robot or car may be from a road it may
use; farther is ``no_edge_nearby`` (settings ``KUKAN_SNAP_DISTANCE_<KIND>_M``)."""
VEHICLE_STATUSES = ("active", "maintenance", "retired")
IDENTIFIER_FIELDS = ("registration_mark", "remote_id", "plate")
"""The official identifiers a vehicle may carry, each unique among live vehicles."""
IDENTIFIER_KINDS = {"registration_mark": ("drone",), "remote_id": ("drone",), "plate": ("car",)}
"""The vehicle kinds each identifier fits."""


def _live_unique(field: str) -> Index:
    """A unique index of ``field`` among the vehicles that are not retired."""
    where = text(f"{field} IS NOT NULL AND status <> 'retired'")
    return Index(f"uq_vehicles_{field}_live", field, unique=True, postgresql_where=where)


class Vehicle(Base):
    """A drone, delivery robot or car belonging to one operator."""

    __tablename__ = "vehicles"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  (fetch updated_at on UPDATE)

    id: Mapped[uuid.UUID] = uuid_pk()
    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(Text)
    """The Remote ID serial number (ANSI/CTA-2063-A) the drone broadcasts."""
    registration_mark: Mapped[str | None] = mapped_column(Text)
    """Japan's drone registration mark (登録記号), uppercase."""
    plate: Mapped[str | None] = mapped_column(Text)
    """A car's registration plate, normalised (trimmed, uppercase, single spaces)."""
    length_m: Mapped[float | None] = mapped_column(Float)
    width_m: Mapped[float | None] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    max_speed_mps: Mapped[float] = mapped_column(Float)
    climb_rate_mps: Mapped[float | None] = mapped_column(Float)
    descent_rate_mps: Mapped[float | None] = mapped_column(Float)
    altitude_lower_m: Mapped[float | None] = mapped_column(Float)
    altitude_upper_m: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), server_default="active", default="active")
    airways_only: Mapped[bool] = mapped_column(Boolean, server_default="false", default=False)
    """The vehicle must keep to the airways (drones: planned on the corridor network)."""
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(in_values("kind", VEHICLE_KINDS), name="kind"),
        CheckConstraint(in_values("status", VEHICLE_STATUSES), name="status"),
        CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("max_speed_mps > 0", name="max_speed_positive"),
        CheckConstraint(
            "coalesce(length_m, 1) > 0 AND coalesce(width_m, 1) > 0 AND coalesce(height_m, 1) > 0",
            name="dimensions_positive",
        ),
        CheckConstraint(
            "coalesce(climb_rate_mps, 0) >= 0 AND coalesce(descent_rate_mps, 0) >= 0",
            name="rates_nonnegative",
        ),
        CheckConstraint(
            "altitude_lower_m IS NULL OR altitude_upper_m IS NULL "
            "OR altitude_lower_m < altitude_upper_m",
            name="altitude_band",
        ),
        Index(
            "uq_vehicles_operator_serial",
            "operator_id",
            "serial",
            unique=True,
            postgresql_where=text("serial IS NOT NULL"),
        ),
        Index("ix_vehicles_operator_created", "operator_id", "created_at", "id"),
        *(_live_unique(field) for field in IDENTIFIER_FIELDS),
    )
