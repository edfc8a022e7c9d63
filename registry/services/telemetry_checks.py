"""Per-fix checks of incoming telemetry: each bad fix is refused with a reason, alone."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

EARTH_M_PER_DEG = 111_319.49
"""Metres per degree of latitude (and of longitude at the equator), WGS84 mean."""
SENTINEL_ALTITUDE_M = -1000.0
"""The "unknown" altitude of ASTM F3411 Remote ID messages."""
SENTINEL_SPEED_MPS = 255.0
"""The "unknown" speed of ASTM F3411 Remote ID messages."""


@dataclass(frozen=True)
class Fix:
    """One position fix of a vehicle (altitude in metres above the WGS84 ellipsoid)."""

    vehicle_id: uuid.UUID
    time: datetime
    lng: float
    lat: float
    alt_m: float
    speed_mps: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True)
class TelemetryPolicy:
    """What the monitor accepts and how it judges conformance."""

    max_future_s: float = 10.0
    retention_days: int = 30
    jump_factor: float = 1.5
    """A fix may be this many times the vehicle's top speed away from the previous one..."""
    jump_slack_m: float = 30.0
    """...plus this much (positioning error)."""
    tolerance_m: float = 10.0
    tolerance_v_m: float = 5.0
    tolerance_s: float = 2.0
    contingent_after_s: float = 30.0
    lost_after_s: float = 10.0
    min_rate_hz: float = 0.5
    """A flight reporting fewer fixes than this over ``rate_window_s`` is slow (0: no check)."""
    rate_window_s: float = 10.0


@dataclass
class FixResult:
    """What became of one fix of a batch."""

    index: int
    status: str = "accepted"
    """``accepted``, ``duplicate`` (already stored: the same vehicle and time) or ``refused``."""
    reason: str | None = None
    detail: str | None = None
    field: str | None = None
    id: int | None = None
    spatial_id: str | None = None
    reservation_id: uuid.UUID | None = None
    conforming: bool | None = None
    conformance: str | None = None
    received_at: datetime | None = None
    """When the fix was stored (the storing transaction's time); not part of the answer."""

    def as_dict(self) -> dict[str, object]:
        """The result as the API answers it: the fields that apply."""
        return {k: v for k, v in vars(self).items() if v is not None and k != "received_at"}

    def refuse(self, reason: str, detail: str, field: str | None = None) -> None:
        """Mark the fix refused."""
        self.status, self.reason, self.detail, self.field = "refused", reason, detail, field


def check_values(fix: Fix, result: FixResult, now: datetime, policy: TelemetryPolicy) -> bool:
    """Refuse a fix whose values cannot be true; True when it passes."""
    ranges = (("lng", fix.lng, -180.0, 180.0), ("lat", fix.lat, -90.0, 90.0))
    for name, value, low, high in (*ranges, ("alt_m", fix.alt_m, -10_000.0, 100_000.0)):
        if not (math.isfinite(value) and low <= value <= high):
            result.refuse("out_of_range", f"{name}={value} is outside [{low}, {high}]", name)
            return False
    if fix.speed_mps is not None and not (
        math.isfinite(fix.speed_mps) and 0 <= fix.speed_mps <= 1000
    ):
        result.refuse(
            "out_of_range", f"speed_mps={fix.speed_mps} is outside [0, 1000]", "speed_mps"
        )
        return False
    if fix.heading_deg is not None and not (
        math.isfinite(fix.heading_deg) and 0 <= fix.heading_deg < 360
    ):
        detail = f"heading_deg={fix.heading_deg} is outside [0, 360)"
        result.refuse("out_of_range", detail, "heading_deg")
        return False
    if fix.lng == 0.0 and fix.lat == 0.0:
        result.refuse("sentinel_value", "lng=0, lat=0 is the no-fix sentinel", "lng")
        return False
    if fix.alt_m == SENTINEL_ALTITUDE_M:
        result.refuse("sentinel_value", "alt_m=-1000 is Remote ID's unknown altitude", "alt_m")
        return False
    if fix.speed_mps == SENTINEL_SPEED_MPS:
        result.refuse("sentinel_value", "speed_mps=255 is Remote ID's unknown speed", "speed_mps")
        return False
    if fix.time.tzinfo is None:
        result.refuse("invalid_time", "time must carry a time zone (RFC 3339)", "time")
        return False
    if fix.time > now + timedelta(seconds=policy.max_future_s):
        ahead = (fix.time - now).total_seconds()
        detail = f"time is {ahead:.1f} s ahead of the server (at most {policy.max_future_s:g})"
        result.refuse("time_in_future", detail, "time")
        return False
    if fix.time < now - timedelta(days=policy.retention_days):
        detail = f"time is older than the history keeps ({policy.retention_days} days)"
        result.refuse("too_old", detail, "time")
        return False
    return True


def distance_m(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Straight-line distance (metres) of two nearby points ``(lng, lat, alt_m)``."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dlng = (b[0] - a[0] + 540.0) % 360.0 - 180.0
    dx = dlng * EARTH_M_PER_DEG * math.cos(mean_lat)
    dy = (b[1] - a[1]) * EARTH_M_PER_DEG
    return math.sqrt(dx * dx + dy * dy + (b[2] - a[2]) ** 2)


def jump_detail(
    prev: tuple[datetime, float, float, float],
    fix: Fix,
    max_speed_mps: float,
    policy: TelemetryPolicy,
) -> str | None:
    """Why moving from ``prev`` to ``fix`` is physically impossible, or None."""
    dt = abs((fix.time - prev[0]).total_seconds())
    gap = distance_m(prev[1:], (fix.lng, fix.lat, fix.alt_m))
    allowed = max_speed_mps * policy.jump_factor * dt + policy.jump_slack_m
    if gap <= allowed:
        return None
    return (
        f"{gap:.0f} m in {dt:.2f} s from the fix at {prev[0].isoformat()}: more than the "
        f"vehicle can fly ({max_speed_mps:g} m/s)"
    )
