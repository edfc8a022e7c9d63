"""The problem+json body (RFC 9457) with every member the API sends, and the OpenAPI
`responses` that document it."""

from __future__ import annotations

import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
)

from routing.errors import Reason


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="location, e.g. body.max_speed_mps or query.limit")
    reason: str


RouteFailure = Literal[Reason, "invalid_route", "vehicle_busy"]
"""Why a request has no route or booking (``invalid_route``: the planner's route failed its
check; ``vehicle_busy``: the vehicle holds another live reservation at that time)."""


class ConflictOut(BaseModel):
    """One contested part of a refused request: its spatial IDs and window, and what holds it.

    Another operator's reservation is never named; a restriction or an obstacle is.
    """

    kind: Literal["reservation", "restriction", "obstacle"]
    spatial_ids: list[str]
    time_start: datetime
    time_end: datetime
    restriction_id: uuid.UUID | None = Field(default=None, description="kind restriction")
    reason: str | None = Field(default=None, description="the restriction's reason")
    obstacle_id: uuid.UUID | None = Field(default=None, description="kind obstacle")
    name: str | None = Field(default=None, description="the obstacle's name")
    obstacle_kind: str | None = Field(default=None, description="e.g. building")


class BlockerOut(BaseModel):
    """What blocks the end of a refused route: a restriction, an obstacle, or another
    reservation (never whose)."""

    kind: Literal["reservation", "restriction", "obstacle"]
    restriction_id: uuid.UUID | None = Field(default=None, description="kind restriction")
    reason: str | None = Field(default=None, description="the restriction's reason")
    obstacle_id: uuid.UUID | None = Field(default=None, description="kind obstacle")
    name: str | None = Field(default=None, description="the obstacle's name")
    obstacle_kind: str | None = Field(default=None, description="e.g. building")


class Problem(BaseModel):
    """An RFC 9457 problem detail (media type application/problem+json).

    Besides the standard members it carries, when they apply: ``errors`` (the invalid
    fields, 422 and 413), ``conflicts`` (what holds the space, 409), ``reason`` (why a route
    request has no route, 422; with ``no_edge_nearby`` and ``too_far`` also ``field``,
    ``distance_m`` and ``max_distance_m``; with ``origin_blocked`` /
    ``destination_blocked``, ``blocked_by``), the caps of a 413 (``cap``,
    ``count_at_least``, ``max_body_bytes``), ``max_priority`` (a 403 for a priority
    beyond the grant), for a 409 ``vehicle_busy`` ``vehicle_id``, ``reservation_id``,
    ``time_start`` and ``time_end``, ``vehicle_id`` also on a 409 of an identifier one's
    own vehicle already carries, and ``lookup_id`` (a refused or fruitless identification,
    on record).
    """

    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, le=599)
    detail: str
    errors: list[FieldError] | None = Field(default=None, description="the invalid fields")
    conflicts: list[ConflictOut] | None = Field(
        default=None, description="409 on space and time: the contested parts"
    )
    reason: RouteFailure | None = Field(
        default=None,
        description="422 of a route request: why there is no route; 409 `vehicle_busy`",
    )
    vehicle_id: uuid.UUID | None = Field(
        default=None,
        description="409 `vehicle_busy`: the vehicle that is booked; 409 of an identifier in "
        "use: the caller's own vehicle carrying it",
    )
    reservation_id: uuid.UUID | None = Field(
        default=None, description="409 `vehicle_busy`: its other reservation (if readable)"
    )
    time_start: datetime | None = Field(
        default=None, description="409 `vehicle_busy`: the other reservation's start"
    )
    time_end: datetime | None = Field(
        default=None, description="409 `vehicle_busy`: the other reservation's end"
    )
    cap: int | None = Field(default=None, description="413 of a cover: the cap of spatial IDs")
    count_at_least: int | None = Field(
        default=None, description="413 of a cover: a lower bound of the cover's size"
    )
    max_body_bytes: int | None = Field(default=None, description="413: the body size cap")
    max_priority: int | None = Field(
        default=None, description="403 of a priority beyond the grant: the highest allowed"
    )
    field: str | None = Field(
        default=None,
        description="422 `no_edge_nearby`: the end too far from the roads; 422 `too_far`: "
        "`destination`",
    )
    distance_m: float | None = Field(
        default=None,
        description="422 `no_edge_nearby`: metres to the nearest usable road; 422 `too_far`: "
        "great-circle metres from the origin to the destination",
    )
    max_distance_m: float | None = Field(
        default=None,
        description="422 `no_edge_nearby`: the snap distance of the kind; 422 `too_far`: the "
        "longest route of the kind (`KUKAN_ROUTE_MAX_DISTANCE_M`)",
    )
    lookup_id: int | None = Field(
        default=None, description="403/404 of an identification: the recorded look-up"
    )
    blocked_by: list[BlockerOut] | None = Field(
        default=None, description="422 of a route blocked at an end: what blocks it"
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json bodies for ``statuses``."""
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        s: {"model": Problem, "content": content, "description": HTTPStatus(s).phrase}
        for s in statuses
    }
