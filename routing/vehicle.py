"""Vehicle limits the planners respect (speeds, climb, altitude band, clearance, buffer,
and how far a ground vehicle's end points may be from the road they snap to)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from routing.errors import RoutingError


@dataclass(frozen=True)
class VehicleLimits:
    """Kinematic and safety limits of one vehicle; altitudes in metres (the ID's datum)."""

    max_speed_mps: float = 15.0
    climb_rate_mps: float = 3.0
    descent_rate_mps: float = 2.0
    altitude_lower_m: float = 0.0
    altitude_upper_m: float = 150.0
    clearance_m: float = 0.0
    safety_buffer_s: float = 2.0
    snap_max_m: float = math.inf
    """Ground vehicles: the farthest an origin or destination may be from a usable edge."""

    def __post_init__(self) -> None:
        for name in ("max_speed_mps", "climb_rate_mps", "descent_rate_mps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise RoutingError(f"{name} must be a positive number, got {value!r}")
        for name in ("clearance_m", "safety_buffer_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise RoutingError(f"{name} must be >= 0, got {value!r}")
        if math.isnan(self.snap_max_m) or self.snap_max_m < 0:
            raise RoutingError(f"snap_max_m must be >= 0, got {self.snap_max_m!r}")
        if not self.altitude_lower_m < self.altitude_upper_m:
            raise RoutingError(
                f"altitude band [{self.altitude_lower_m}, {self.altitude_upper_m}] is empty"
            )
