"""Bodies of priority grants (per operator) and jurisdictions (per municipality principal)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field, StrictBool

from api.reservation_schemas import geometry_json
from api.schemas import Area, Footprint, Input


class GrantIn(Input):
    """What an operator's principals may book: priorities up to ``max_priority``, and
    whether a higher priority preempts lower-priority reservations."""

    max_priority: int = Field(ge=0, le=100)
    may_preempt: StrictBool = False


class GrantOut(BaseModel):
    """An operator's priority grant."""

    operator_id: uuid.UUID
    max_priority: int
    may_preempt: bool


class JurisdictionIn(Input):
    """The area a municipality governs; ``null`` clears it (it then governs nowhere)."""

    geometry: Area | None = Field(description="GeoJSON Polygon or MultiPolygon, or null")


class JurisdictionOut(BaseModel):
    """A principal's jurisdiction (``null``: none)."""

    principal_id: uuid.UUID
    geometry: Footprint | None = Field(description="GeoJSON MultiPolygon")

    @classmethod
    def of(cls, principal_id: uuid.UUID, geometry: Any) -> JurisdictionOut:
        """From a stored geometry (or None)."""
        return cls(principal_id=principal_id, geometry=geometry_json(geometry))  # type: ignore[arg-type]
