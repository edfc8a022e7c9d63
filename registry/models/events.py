"""The event log: what changed, for whom, in the order a reader may rely on.

An event is written in the same transaction as the change it reports (a transactional
outbox), so it exists exactly when the change does. ``tx`` is the writing transaction's
ID (``pg_current_xact_id()``) and ``seq`` its order within the log; readers take events in
``(tx, seq)`` order and only those of transactions older than every transaction still
running (see :mod:`registry.services.events`), so a late commit cannot be skipped. Each
event has one audience: a principal, an operator (all its principals), or both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base

TX_NOW = "(pg_current_xact_id()::text)::bigint"
"""The writing transaction's 64-bit ID (epoch and xid), as a bigint."""


class Event(Base):
    """One event for one audience (CloudEvents-shaped when read)."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tx: Mapped[int] = mapped_column(BigInteger, server_default=text(TX_NOW), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(
        unique=True, server_default=text("gen_random_uuid()"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"), nullable=False
    )
    data: Mapped[Any] = mapped_column(JSONB)
    principal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE")
    )
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE")
    )

    __table_args__ = (
        CheckConstraint("principal_id IS NOT NULL OR operator_id IS NOT NULL", name="audience"),
        Index("ix_events_tx_seq", "tx", "seq"),
        Index("ix_events_principal", "principal_id", "tx", "seq"),
        Index("ix_events_operator", "operator_id", "tx", "seq"),
        Index("ix_events_time", "time"),
    )


class EventRetention(Base):
    """How far the log has been cut by retention: every event at or before ``(tx, seq)``
    is gone (one row)."""

    __tablename__ = "event_retention"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    tx: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    dropped: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """Events dropped so far."""
    dropped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
