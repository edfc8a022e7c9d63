"""Errors of the 4D services that carry details for the problem+json body."""

from __future__ import annotations

from typing import Any

from registry.errors import Conflict


class Contested(Conflict):
    """Space and time are taken; ``problem_extra`` lists what is contested (no private data)."""

    def __init__(self, message: str, *, conflicts: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.problem_extra: dict[str, Any] = {"conflicts": conflicts}
