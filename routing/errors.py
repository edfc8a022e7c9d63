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
]
REASONS: tuple[str, ...] = (
    "no_path",
    "origin_blocked",
    "destination_blocked",
    "outside_altitude_band",
    "budget_exceeded",
    "no_edge_nearby",
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
        super().__init__(f"{reason}: {self.message}")


class SearchBudgetExceeded(NoRoute):
    """The search hit its expansion or time budget (``reason == 'budget_exceeded'``)."""

    def __init__(self, message: str = "", *, expansions: int = 0) -> None:
        self.expansions = expansions
        super().__init__("budget_exceeded", message)
