"""Routing errors: one root (``RoutingError(ValueError)``) and machine-readable reasons."""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "no_path",
    "origin_blocked",
    "destination_blocked",
    "outside_altitude_band",
    "budget_exceeded",
    "no_edge_nearby",
    "too_far",
    "no_airway_nearby",
]
REASONS: tuple[str, ...] = (
    "no_path",
    "origin_blocked",
    "destination_blocked",
    "outside_altitude_band",
    "budget_exceeded",
    "no_edge_nearby",
    "too_far",
    "no_airway_nearby",
)


class RoutingError(ValueError):
    """Root of every error raised by :mod:`routing`."""


class NoRoute(RoutingError):
    """No route exists (or none was found within the budget); ``reason`` says why."""

    def __init__(self, reason: Reason, message: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown NoRoute reason {reason!r}")
        self.reason: Reason = reason
        self.message = message or reason.replace("_", " ")
        self.blocked_by: list[dict[str, object]] = []
        self.busy_end: Literal["origin", "destination"] | None = None
        """The end found busy when the reason itself does not name one (``no_path``)."""
        super().__init__(f"{reason}: {self.message}")

    def name_blockers(self, names: list[str], blocked_by: list[dict[str, object]]) -> None:
        """Say what blocks: ``names`` join the message, ``blocked_by`` the problem document."""
        if names:
            self.message += f" by {', '.join(names)}"
            self.args = (f"{self.reason}: {self.message}",)
        self.blocked_by = blocked_by

    @property
    def problem_extra(self) -> dict[str, object]:
        """Members for a problem document: what blocks, when known."""
        return {"blocked_by": self.blocked_by} if self.blocked_by else {}


class SearchBudgetExceeded(NoRoute):
    """The search hit its expansion or time budget (``reason == 'budget_exceeded'``)."""

    def __init__(self, message: str = "", *, expansions: int = 0) -> None:
        self.expansions = expansions
        super().__init__("budget_exceeded", message)


class NoEdgeNearby(NoRoute):
    """An end point is farther than allowed from every usable edge of the network.

    ``field`` names the end (``origin`` or ``destination``); ``distance_m`` is the
    distance to the nearest usable edge (``None`` when the network has none) and
    ``max_distance_m`` the limit it broke."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        distance_m: float | None = None,
        max_distance_m: float | None = None,
    ) -> None:
        self.field = field
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        super().__init__("no_edge_nearby", message)

    @property
    def problem_extra(self) -> dict[str, object]:
        """Members for a problem document: the end, the distance and the limit."""
        out: dict[str, object] = {}
        if self.field is not None:
            out["field"] = self.field
        if self.distance_m is not None:
            out["distance_m"] = round(self.distance_m, 1)
        if self.max_distance_m is not None:
            out["max_distance_m"] = self.max_distance_m
        return out


class TooFar(NoRoute):
    """The destination is farther from the origin than routes may be (decided before any
    planning work); ``distance_m`` is the great-circle distance, ``max_distance_m`` the limit."""

    def __init__(self, message: str, *, distance_m: float, max_distance_m: float) -> None:
        self.field = "destination"
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        super().__init__("too_far", message)

    @property
    def problem_extra(self) -> dict[str, object]:
        """Members for a problem document: the field, the distance and the limit."""
        return {
            "field": self.field,
            "distance_m": round(self.distance_m, 1),
            "max_distance_m": self.max_distance_m,
        }


class NoAirwayNearby(NoEdgeNearby):
    """An end point of an ``airways_only`` route is outside every corridor and farther
    than allowed from the nearest one (``distance_m`` from its edge)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        distance_m: float | None = None,
        max_distance_m: float | None = None,
    ) -> None:
        super().__init__(message, field=field, distance_m=distance_m, max_distance_m=max_distance_m)
        self.reason = "no_airway_nearby"
        self.args = (f"no_airway_nearby: {self.message}",)
