"""Response bodies of re-plan proposals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.reservation_schemas import ReservationOut
from api.schemas import Page

ReplanState = Literal[
    "requested", "pending", "accepted", "declined", "expired", "failed", "superseded",
    "withdrawn",
]  # fmt: skip


class ReplanOut(BaseModel):
    """A re-plan proposal: why, from where, its route and until when it is held."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reservation_id: uuid.UUID
    vehicle_id: uuid.UUID | None
    cause: Literal["preempted", "restriction", "contingent"]
    state: ReplanState
    detail: str | None = Field(description="why it failed, was withdrawn or superseded")
    origin: dict[str, float] | None = Field(
        description="where the route starts (lng, lat, alt_m above the WGS84 ellipsoid)"
    )
    from_position: bool = Field(description="the route starts at the vehicle's last fix")
    departure_time: datetime | None
    expires_at: datetime | None = Field(description="accept before this instant")
    route: dict[str, Any] | None = Field(description="GeoJSON LineString (lng, lat, alt_m)")
    volumes: list[dict[str, Any]] | None = Field(
        description="the spatial IDs and windows accepting it reserves"
    )
    created_at: datetime
    updated_at: datetime


class ReplanPage(Page[ReplanOut]):
    """A page of re-plan proposals."""


class ReplanAcceptedOut(BaseModel):
    """The accepted proposal and the reservation that now holds its route."""

    proposal: ReplanOut
    reservation: ReservationOut
    replaced: bool = Field(
        description="true: the reservation kept its id (a replace); false: booked anew"
    )
