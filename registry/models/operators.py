"""Who calls the API: operators (organisations), principals (roles) and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, created_column, in_values, uuid_pk


class Role(StrEnum):
    """What a principal may do; stored as its value in ``principals.role``."""

    OPERATOR = "operator"
    """Vehicles, reservations and routes of its operator."""
    FLEET = "fleet"
    """Like an operator, for a fleet of ground vehicles."""
    MUNICIPALITY = "municipality"
    """Restrictions, and who occupies the space (occupancy, tiles)."""
    ADMIN = "admin"
    """Everything."""


ROLES = tuple(r.value for r in Role)
OPERATING_ROLES = frozenset({Role.OPERATOR, Role.FLEET, Role.ADMIN})
"""Roles that register vehicles, reserve airspace and plan routes."""
OVERSIGHT_ROLES = frozenset({Role.MUNICIPALITY, Role.ADMIN})
"""Roles that declare restrictions and see who occupies a voxel."""
OPERATOR_BOUND_ROLES = frozenset({Role.OPERATOR, Role.FLEET})
"""Roles whose principals belong to an operator."""


class Operator(Base):
    """An organisation that operates vehicles, with its priority grant (set by an admin).

    ``max_priority`` is the highest priority its principals may book at; ``may_preempt``
    lets a booking of a higher priority displace lower-priority reservations (without it a
    higher priority only conflicts).
    """

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    max_priority: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    may_preempt: Mapped[bool] = mapped_column(Boolean, server_default="false", default=False)
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("max_priority BETWEEN 0 AND 100", name="max_priority_range"),
    )


class Principal(Base):
    """Someone who calls the API: an operator, a fleet, a municipality or an admin."""

    __tablename__ = "principals"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = created_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    jurisdiction: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True
    )
    """The area a municipality governs (set by an admin); None: it governs nowhere."""

    operator: Mapped[Operator | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(in_values("role", ROLES), name="role"),
        CheckConstraint(
            "role NOT IN ('operator', 'fleet') OR operator_id IS NOT NULL", name="operator_required"
        ),
        CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("jurisdiction IS NULL OR role = 'municipality'", name="jurisdiction_role"),
    )

    @property
    def is_admin(self) -> bool:
        """True for the admin role, which sees everything."""
        return self.role == Role.ADMIN


class ApiKey(Base):
    """A bearer token, stored as the SHA-256 of the token plus a short display prefix."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    principal: Mapped[Principal] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name="key_hash_hex"),)
