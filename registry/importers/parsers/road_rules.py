"""OSM highway tags -> who may use a way, in which direction, how fast (documented tables)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DRIVE_SPEED_KMH: dict[str, float] = {
    "motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50,
    "primary": 50, "primary_link": 40, "secondary": 50, "secondary_link": 40,
    "tertiary": 40, "tertiary_link": 30, "unclassified": 40, "residential": 30,
    "road": 30, "service": 20, "living_street": 10, "track": 20,
}  # fmt: skip
"""Car speed (km/h) by highway type, used when a way has no usable ``maxspeed``."""

WALK_HIGHWAYS = frozenset(
    set(DRIVE_SPEED_KMH) - {"motorway", "motorway_link", "trunk", "trunk_link"}
    | {"pedestrian", "footway", "path", "steps", "cycleway", "bridleway", "corridor"}
)
"""Highway types pedestrians may use unless tagged otherwise."""
DRIVE_HIGHWAYS = frozenset(set(DRIVE_SPEED_KMH) - {"track"})
"""Highway types cars may use unless tagged otherwise."""
IMPLIED_ONEWAY = frozenset({"motorway"})

_YES = {"yes", "designated", "permissive", "destination", "official", "customers", "delivery"}
_NO = {"no", "private", "agricultural", "forestry", "discouraged", "use_sidepath"}
_ZONES = {"urban": 50.0, "rural": 80.0, "motorway": 120.0, "living_street": 10.0, "walk": 6.0}
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)


@dataclass(frozen=True)
class Access:
    """Who may use a way: walking (both ways), driving forward and backward, and speeds."""

    walk: bool
    drive_forward: bool
    drive_backward: bool
    walk_speed_mps: float
    drive_speed_mps: float


def _allowed(tags: dict[str, str], keys: tuple[str, ...], default: bool) -> bool:
    """The first of ``keys`` that is tagged yes-like or no-like decides; else ``default``."""
    for key in keys:
        value = tags.get(key)
        if value in _YES:
            return True
        if value in _NO:
            return False
    return default


def parse_maxspeed(text: str | None) -> float | None:
    """km/h from ``maxspeed`` (``50``, ``30 mph``, ``FI:urban``, ``walk``); None if unknown."""
    if not text:
        return None
    m = _SPEED.match(text)
    if m:
        value = float(m.group(1))
        return value * 1.609344 if (m.group(2) or "").lower() == "mph" else value
    return _ZONES.get(text.split(":")[-1].strip().lower())


def oneway(tags: dict[str, str]) -> int:
    """+1 one-way forward, -1 one-way backward, 0 both ways (for cars)."""
    value = tags.get("oneway", "").lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in IMPLIED_ONEWAY:
        return 1
    return 0


def access(tags: dict[str, str], walk_speed_mps: float) -> Access | None:
    """Access of a highway way; None if neither pedestrians nor cars may use it."""
    highway = tags.get("highway", "")
    if tags.get("area") == "yes" and highway != "pedestrian":
        return None
    walk = _allowed(tags, ("foot", "access"), highway in WALK_HIGHWAYS)
    if highway in ("motorway", "motorway_link", "trunk", "trunk_link") and "foot" not in tags:
        walk = False
    drive = _allowed(
        tags, ("motorcar", "motor_vehicle", "vehicle", "access"), highway in DRIVE_HIGHWAYS
    )
    if highway not in DRIVE_SPEED_KMH:
        drive = False
    if not walk and not drive:
        return None
    direction = oneway(tags) if drive else 0
    kmh = parse_maxspeed(tags.get("maxspeed")) or DRIVE_SPEED_KMH.get(highway, 30.0)
    return Access(
        walk=walk,
        drive_forward=drive and direction >= 0,
        drive_backward=drive and direction <= 0,
        walk_speed_mps=walk_speed_mps,
        drive_speed_mps=kmh / 3.6,
    )
