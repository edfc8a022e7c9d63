"""The record of identification look-ups: who asked, when, what, and what it resolved to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values

LOOKUP_OUTCOMES = ("found", "not_found", "forbidden")
"""How a look-up ended: resolved, nothing matched, or outside the asker's jurisdiction."""


class IdentificationLookup(Base):
    """One look-up of an identifier, or of a voxel at an instant, by a principal."""

    __tablename__ = "identification_lookups"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principals.id", ondelete="RESTRICT")
    )
    asked_at: Mapped[datetime] = created_column()
    identifier: Mapped[str | None] = mapped_column(Text)
    spatial_id: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The instant the look-up asked about."""
    outcome: Mapped[str] = mapped_column(Text)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vehicles.id", ondelete="RESTRICT")
    )
    """The vehicle it resolved to (null when nothing was found or it was refused)."""
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="RESTRICT")
    )

    __table_args__ = (
        CheckConstraint(in_values("outcome", LOOKUP_OUTCOMES), name="outcome"),
        CheckConstraint("(identifier IS NULL) <> (spatial_id IS NULL)", name="one_query"),
        Index("ix_identification_lookups_asked", "asked_at", "id"),
        Index("ix_identification_lookups_principal_asked", "principal_id", "asked_at", "id"),
    )
