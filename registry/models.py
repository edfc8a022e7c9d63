"""The registry schema: operators, principals, API keys, vehicles and position reports.

Altitudes are metres above the WGS84 ellipsoid (datum ``W84``, what GNSS and ASTM F3548
report); every altitude column name ends in ``_m`` and the API names the datum.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ALTITUDE_DATUM = "W84"
"""Vertical datum of every stored altitude: height above the WGS84 ellipsoid."""

POSITION_VOXEL_ZOOM = 25
"""Zoom of the spatial ID stored with each position report (about 1 m voxels)."""

ROLES = ("operator", "fleet", "municipality", "admin")
VEHICLE_KINDS = ("drone", "robot", "car")
VEHICLE_STATUSES = ("active", "maintenance", "retired")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Operator(Base):
    """An organisation that operates vehicles."""

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),)


class Principal(Base):
    """Someone who calls the API: an operator, a fleet, a municipality or an admin."""

    __tablename__ = "principals"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    operator: Mapped[Operator | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            "role NOT IN ('operator', 'fleet') OR operator_id IS NOT NULL", name="operator_required"
        ),
        CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
    )

    @property
    def is_admin(self) -> bool:
        """True for the admin role, which sees everything."""
        return self.role == "admin"


class ApiKey(Base):
    """A bearer token, stored as the SHA-256 of the token plus a short display prefix."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = _uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    principal: Mapped[Principal] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name="key_hash_hex"),)


class Vehicle(Base):
    """A drone, delivery robot or car belonging to one operator."""

    __tablename__ = "vehicles"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  (fetch updated_at on UPDATE)

    id: Mapped[uuid.UUID] = _uuid_pk()
    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float | None] = mapped_column(Float)
    width_m: Mapped[float | None] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    max_speed_mps: Mapped[float] = mapped_column(Float)
    climb_rate_mps: Mapped[float | None] = mapped_column(Float)
    descent_rate_mps: Mapped[float | None] = mapped_column(Float)
    altitude_lower_m: Mapped[float | None] = mapped_column(Float)
    altitude_upper_m: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), server_default="active", default="active")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(_in("kind", VEHICLE_KINDS), name="kind"),
        CheckConstraint(_in("status", VEHICLE_STATUSES), name="status"),
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
    )


class Position(Base):
    """One position report of a vehicle, with its point geometry and spatial ID."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = _created()
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[object] = mapped_column(
        Geometry("POINTZ", srid=4326, spatial_index=True), nullable=False
    )
    voxel: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("lng BETWEEN -180 AND 180", name="lng_range"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("speed_mps IS NULL OR speed_mps >= 0", name="speed_nonnegative"),
        CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)", name="heading_range"
        ),
        Index("ix_positions_vehicle_time", "vehicle_id", text("time DESC"), text("id DESC")),
    )


import registry.road_models  # noqa: E402, F401  (the road graph joins Base.metadata)
from registry import volume_models  # noqa: E402, F401  (the 4D tables join Base.metadata)
