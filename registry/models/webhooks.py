"""Webhooks: a principal's receivers of its events, each with its place in the event log.

A webhook delivers the events its principal may read, in log order, one request per event,
signed per the Standard Webhooks specification with the webhook's secret. ``cursor`` is
the position after the last event delivered (or skipped by ``types``); a failure leaves it
and sets ``next_attempt_at`` by back-off; ``leased_until`` keeps two dispatchers from
delivering one webhook at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, created_column, uuid_pk


class Webhook(Base):
    """A receiver URL of one principal's events."""

    __tablename__ = "webhooks"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    """``whsec_`` and the base64 of the signing key (Standard Webhooks)."""
    types: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    """Deliver only these event types (None: all)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[str] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Failed attempts in a row (the back-off's exponent)."""
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint("url ~ '^https?://'", name="url_scheme"),
        CheckConstraint("length(url) <= 2000", name="url_length"),
        Index("ix_webhooks_principal", "principal_id", "created_at"),
        Index("ix_webhooks_due", "next_attempt_at", postgresql_where="active"),
    )


class OutboundCursor(Base):
    """Where a named outbound feed (e.g. the MQTT publisher) has read the event log to,
    and who holds it now."""

    __tablename__ = "outbound_cursors"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
