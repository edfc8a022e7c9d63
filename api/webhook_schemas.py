"""Request and response bodies of webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Input

URL_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[!-~]*)?$"
"""An http(s) URL: a host name or IPv4 address, a port, a path of printable ASCII."""


class WebhookIn(Input):
    """A receiver of the caller's events."""

    url: str = Field(
        max_length=2000,
        pattern=URL_PATTERN,
        description="http(s) URL that takes a POST per event (no credentials in it)",
    )
    types: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="deliver only these event types (default: all the caller's events)",
    )


class ReplayIn(Input):
    """Where to deliver again from."""

    after: str | None = Field(
        default=None,
        description="an event-log cursor (the `next` of GET /v1/events); null: the start",
    )


class WebhookOut(BaseModel):
    """A webhook and how its deliveries go."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    types: list[str] | None
    active: bool
    disabled_reason: str | None = Field(description="why it stopped (e.g. the receiver's 410)")
    cursor: str = Field(description="the event-log cursor after the last event delivered")
    delivered: int
    failures: int = Field(description="failed attempts in a row")
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    """A new webhook with its signing secret, shown only here."""

    secret: str = Field(
        description="the Standard Webhooks secret (`whsec_...`) to verify `webhook-signature`"
    )
