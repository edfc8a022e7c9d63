"""Errors of the 4D services that carry details for the problem+json body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from registry.errors import Conflict

ContestedKind = Literal["reservation", "restriction", "obstacle"]


@dataclass(frozen=True)
class ContestedSpace:
    """One contested part: its spatial IDs and window, and what holds it (for blockers,
    which one; never another operator's reservation)."""

    kind: ContestedKind
    spatial_ids: list[str]
    time_start: datetime
    time_end: datetime
    restriction_id: uuid.UUID | None = None
    reason: str | None = None
    obstacle_id: uuid.UUID | None = None
    name: str | None = None
    obstacle_kind: str | None = None

    def as_problem(self) -> dict[str, Any]:
        """The member of the problem body's ``conflicts`` list."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "spatial_ids": self.spatial_ids,
            "time_start": self.time_start.isoformat(),
            "time_end": self.time_end.isoformat(),
        }
        if self.kind == "restriction":
            out.update(restriction_id=str(self.restriction_id), reason=self.reason)
        elif self.kind == "obstacle":
            out.update(
                obstacle_id=str(self.obstacle_id), name=self.name, obstacle_kind=self.obstacle_kind
            )
        return out


class Contested(Conflict):
    """Space and time are taken; ``conflicts`` lists what is contested (no private data)."""

    def __init__(self, message: str, *, conflicts: list[ContestedSpace]) -> None:
        super().__init__(message)
        self.conflicts = conflicts

    @property
    def problem_extra(self) -> dict[str, Any]:
        """The extension members of the problem body."""
        return {"conflicts": [c.as_problem() for c in self.conflicts]}


class VehicleBusy(Conflict):
    """The vehicle already holds a live reservation overlapping the requested time."""

    def __init__(
        self,
        message: str,
        *,
        vehicle_id: uuid.UUID,
        reservation_id: uuid.UUID | None,
        time_start: datetime | None,
        time_end: datetime | None,
    ) -> None:
        super().__init__(message)
        self.vehicle_id = vehicle_id
        self.reservation_id = reservation_id
        self.time_start = time_start
        self.time_end = time_end

    @property
    def problem_extra(self) -> dict[str, Any]:
        """The extension members of the problem body: the reason and the other booking."""
        return {
            "reason": "vehicle_busy",
            "vehicle_id": str(self.vehicle_id),
            "reservation_id": None if self.reservation_id is None else str(self.reservation_id),
            "time_start": None if self.time_start is None else self.time_start.isoformat(),
            "time_end": None if self.time_end is None else self.time_end.isoformat(),
        }
