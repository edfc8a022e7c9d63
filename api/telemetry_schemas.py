"""Request and response bodies of telemetry: a batch of fixes and a result per fix.

The fields of a fix carry no range rules here on purpose: a fix out of range is refused
alone, with its reason, and the rest of the batch is kept.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from api.schemas import INPUT_DATUM_DOC, Input, InputDatum, Instant

MAX_FIXES = 10_000
"""The most fixes one batch may hold."""


class FixIn(BaseModel):
    """One fix of one vehicle: a position report plus the vehicle.

    Strict numbers (no strings, no true/false) and no unknown fields, as every request body;
    declared here without the per-field validators of ``Input``, which would cost more than
    storing the fix (a fix holds no free text)."""

    model_config = ConfigDict(extra="forbid")

    vehicle_id: uuid.UUID
    time: Instant = Field(description="RFC 3339 with a time zone")
    lng: StrictFloat
    lat: StrictFloat
    alt_m: StrictFloat = Field(description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = "W84"
    speed_mps: StrictFloat | None = None
    heading_deg: StrictFloat | None = None


class TelemetryIn(Input):
    """A batch of fixes, from any of the caller's vehicles, in any order."""

    fixes: list[FixIn] = Field(min_length=1, max_length=MAX_FIXES)


class FixResultOut(BaseModel):
    """What became of one fix (fields that do not apply are left out)."""

    index: int = Field(description="the fix's position in the batch")
    status: str = Field(description="`accepted`, `duplicate` (already stored) or `refused`")
    reason: str | None = Field(
        default=None,
        description="why refused: `out_of_range`, `sentinel_value`, `invalid_time`, "
        "`time_in_future`, `too_old`, `vehicle_not_found`, `vehicle_retired`, "
        "`impossible_jump`",
    )
    detail: str | None = None
    field: str | None = Field(default=None, description="the fix's field the reason is about")
    id: int | None = None
    spatial_id: str | None = None
    reservation_id: uuid.UUID | None = Field(
        default=None, description="the live reservation covering the fix's time"
    )
    conforming: bool | None = Field(default=None, description="inside that reservation")
    conformance: str | None = Field(
        default=None, description="the reservation's conformance state after this fix"
    )


class TelemetryOut(BaseModel):
    """The counts and one result per fix, in the batch's order."""

    accepted: int
    duplicates: int
    refused: int
    results: list[FixResultOut]
