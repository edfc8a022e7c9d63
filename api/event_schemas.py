"""Event bodies: CloudEvents 1.0 (structured JSON) and the page of the event log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CloudEventOut(BaseModel):
    """One event, in the CloudEvents 1.0 JSON format."""

    model_config = ConfigDict(from_attributes=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(description="unique; the same event always has the same id")
    source: str = Field(description="the collection the subject belongs to, e.g. /v1/reservations")
    type: str = Field(
        description="what happened, e.g. kukan.reservation.created, kukan.reservation.preempted"
    )
    subject: str = Field(description="the id of the resource the event is about")
    time: datetime = Field(description="when the change was made")
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(description="the resource's state after the change")


class EventPage(BaseModel):
    """A page of the event log in order, and where to read on."""

    items: list[CloudEventOut]
    next: str = Field(
        description="path and query to read on from (always set: poll it for later events; "
        "no event is skipped or repeated)"
    )
