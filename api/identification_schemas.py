"""Bodies of identification: a look-up's matches and the record of look-ups."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Kind, Page, Status
from registry.services.identification import Identification, Match
from registry.services.lifecycle import effective_state

SPATIAL_ID_PATTERN = r"^[0-9]{1,2}/-?[0-9]{1,10}/[0-9]{1,10}/[0-9]{1,10}$"
"""A plain ``z/f/x/y`` spatial ID."""


class IdentifiedVehicle(BaseModel):
    """The vehicle a look-up resolved to, with its identifiers."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Kind
    name: str
    status: Status
    serial: str | None
    registration_mark: str | None
    remote_id: str | None
    plate: str | None


class IdentifiedOperator(BaseModel):
    """The operator of the vehicle (or of the reservation)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class IdentifiedReservation(BaseModel):
    """The reservation live at the instant: its window and state."""

    id: uuid.UUID
    state: str = Field(description="as read now (an elapsed reservation reads `ended`)")
    priority: int
    time_start: datetime
    time_end: datetime


class MatchOut(BaseModel):
    """One match: the vehicle (null for a reservation booked without one), its operator and
    its reservation at the instant (null when it has none then)."""

    vehicle: IdentifiedVehicle | None
    operator: IdentifiedOperator | None
    reservation: IdentifiedReservation | None

    @classmethod
    def of(cls, match: Match) -> MatchOut:
        """The body of a service match."""
        res = match.reservation
        return cls(
            vehicle=IdentifiedVehicle.model_validate(match.vehicle) if match.vehicle else None,
            operator=IdentifiedOperator.model_validate(match.operator) if match.operator else None,
            reservation=None
            if res is None
            else IdentifiedReservation(
                id=res.id,
                state=effective_state(res),
                priority=res.priority,
                time_start=res.time_start,
                time_end=res.time_end,
            ),
        )


class IdentificationOut(BaseModel):
    """What a look-up resolved to (the look-up is recorded as ``lookup_id``)."""

    lookup_id: int
    identifier: str | None
    spatial_id: str | None
    at: datetime = Field(description="the instant asked about")
    matches: list[MatchOut] = Field(description="at least one; by reservation start")

    @classmethod
    def of(cls, found: Identification) -> IdentificationOut:
        """The body of a service identification."""
        lookup = found.lookup
        return cls(
            lookup_id=lookup.id,
            identifier=lookup.identifier,
            spatial_id=lookup.spatial_id,
            at=lookup.at,
            matches=[MatchOut.of(m) for m in found.matches],
        )


class LookupOut(BaseModel):
    """One recorded look-up: who asked, when, what, and what it resolved to."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    principal_id: uuid.UUID
    asked_at: datetime
    identifier: str | None
    spatial_id: str | None
    at: datetime
    outcome: str = Field(description="found, not_found or forbidden")
    vehicle_id: uuid.UUID | None
    reservation_id: uuid.UUID | None


class LookupPage(Page[LookupOut]):
    """A page of recorded look-ups, oldest first."""
