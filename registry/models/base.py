"""The declarative base of every table, with a constraint naming convention (stable migrations).

Altitudes are metres above the WGS84 ellipsoid (datum ``W84``, what GNSS and ASTM F3548
report); every altitude column name ends in ``_m`` and the API names the datum.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ALTITUDE_DATUM = "W84"
"""Vertical datum of every stored altitude: height above the WGS84 ellipsoid."""

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def in_values(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression: ``column`` is one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING)


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key made by the application."""
    return mapped_column(primary_key=True, default=uuid.uuid4)


def created_column() -> Mapped[datetime]:
    """A ``timestamptz`` set by the database when the row is inserted."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
