"""Re-plan proposals: an alternative route offered to the operator of a reservation that
was preempted, cut by a restriction, or whose vehicle became contingent.

A proposal is ``requested`` in the transaction of its cause, then planned by the replanner
(``pending``, its space held by a ``held`` reservation, ``hold_id``, until ``expires_at``;
or ``failed`` when no route is found). The operator accepts it (``accepted``) or declines
it; otherwise it ``expired``. A newer cause supersedes a pending proposal, and a preemption
of its hold withdraws it. One open (requested or pending) proposal per reservation.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, in_values

REPLAN_CAUSES = ("preempted", "restriction", "contingent")
REPLAN_STATES = (
    "requested", "pending", "accepted", "declined", "expired", "failed", "superseded",
    "withdrawn",
)  # fmt: skip
OPEN_REPLAN_STATES = ("requested", "pending")
_OPEN = sql_text(in_values("state", OPEN_REPLAN_STATES))


class ReplanProposal(Base):
    """One re-plan of one reservation: its cause, its route and the hold of its space."""

    __tablename__ = "replan_proposals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE")
    )
    hold_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="SET NULL")
    )
    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    operator_id: Mapped[uuid.UUID | None] = mapped_column()
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column()
    cause: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), server_default="requested")
    base_version: Mapped[int] = mapped_column(Integer)
    """The reservation's version when the cause was recorded."""
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    """Where the route starts: ``lng``, ``lat``, ``alt_m``."""
    from_position: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """The route starts at the vehicle's last fix (else at the reservation's origin)."""
    departure_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    volumes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    route: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    """The route as a GeoJSON LineString (lng, lat, alt_m), for a map."""
    detail: Mapped[str | None] = mapped_column(Text)
    """Why it failed, was withdrawn or superseded."""
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """A replanner is planning it until then (another may take it over after)."""
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint(in_values("cause", REPLAN_CAUSES), name="cause"),
        CheckConstraint(in_values("state", REPLAN_STATES), name="state"),
        Index("ux_replan_proposals_open", "reservation_id", unique=True, postgresql_where=_OPEN),
        Index("ix_replan_proposals_due", "state", "created_at", postgresql_where=_OPEN),
        Index("ix_replan_proposals_principal_created", "principal_id", "created_at", "id"),
    )
