"""Blockers: restrictions (declared areas), obstacles (buildings, masts) and their boxes.

Blockers may overlap each other, so ``blocker_boxes`` has a plain GiST index and no
exclusion; a reservation may not meet an active blocker box (see
:mod:`registry.boxes.blockers`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import INT4RANGE, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column


class Restriction(Base):
    """An area where no one may fly, declared by a municipality (or an admin)."""

    __tablename__ = "restrictions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principals.id", ondelete="RESTRICT"), index=True
    )
    geometry: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
    altitude_lower_m: Mapped[float] = mapped_column(Float)
    altitude_upper_m: Mapped[float] = mapped_column(Float)
    time_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    time_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    zoom: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true", default=True)
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint("altitude_lower_m < altitude_upper_m", name="altitude_band"),
        CheckConstraint(
            "time_start IS NULL OR time_end IS NULL OR time_start < time_end", name="time_order"
        ),
    )


class Obstacle(Base):
    """A static obstacle (a building, a mast, terrain) no reservation may enter."""

    __tablename__ = "obstacles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("principals.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(Text)
    source_ref: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Text)
    geometry: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
    min_height_m: Mapped[float] = mapped_column(Float)
    height_m: Mapped[float] = mapped_column(Float)
    zoom: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true", default=True)
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        CheckConstraint("min_height_m < height_m", name="height_band"),
    )


class BlockerBox(Base):
    """One leaf-zoom box of a restriction or an obstacle (blockers may overlap)."""

    __tablename__ = "blocker_boxes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    restriction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("restrictions.id", ondelete="CASCADE"), index=True
    )
    obstacle_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("obstacles.id", ondelete="CASCADE"), index=True
    )
    x: Mapped[Range[int]] = mapped_column(INT4RANGE)
    y: Mapped[Range[int]] = mapped_column(INT4RANGE)
    f: Mapped[Range[int]] = mapped_column(INT4RANGE)
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true", default=True)

    __table_args__ = (
        CheckConstraint("(restriction_id IS NULL) <> (obstacle_id IS NULL)", name="one_owner"),
        Index(
            "ix_blocker_boxes_space_time",
            "x",
            "y",
            "f",
            "during",
            postgresql_using="gist",
            postgresql_where=text("active"),
        ),
    )
