"""Airways (drone corridors): a centre line with a width and an altitude band.

A corridor is the centre line buffered by ``width_m / 2`` on each side, between
``altitude_lower_m`` and ``altitude_upper_m`` (metres above the WGS84 ellipsoid, like
every stored altitude). ``direction`` ``forward`` allows flight only in the order of the
line's vertices; ``both`` either way. A vehicle with ``airways_only`` is planned on them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values, uuid_pk

AIRWAY_DIRECTIONS = ("both", "forward")
MAX_AIRWAY_WIDTH_M = 2_000.0
"""The widest corridor accepted (metres)."""


class Airway(Base):
    """One corridor: a centre line, its width and altitude band, who declared it."""

    __tablename__ = "airways"

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("principals.id", ondelete="SET NULL"), index=True
    )
    """Who declared it (None: imported with the CLI, or that principal was removed)."""
    name: Mapped[str | None] = mapped_column(Text)
    geometry: Mapped[Any] = mapped_column(
        Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False
    )
    width_m: Mapped[float] = mapped_column(Float)
    altitude_lower_m: Mapped[float] = mapped_column(Float)
    altitude_upper_m: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(16), server_default="both", default="both")
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint("altitude_lower_m < altitude_upper_m", name="altitude_band"),
        CheckConstraint(f"width_m > 0 AND width_m <= {MAX_AIRWAY_WIDTH_M:g}", name="width"),
        CheckConstraint(in_values("direction", AIRWAY_DIRECTIONS), name="direction"),
        CheckConstraint("name IS NULL OR length(name) <= 200", name="name_length"),
        Index("ix_airways_created", "created_at", "id"),
    )
