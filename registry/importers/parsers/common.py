"""What parsers yield (buildings, road stretches), their error, and height parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import MultiPolygon

STOREY_HEIGHT_M = 3.0
"""Height of one storey, for buildings with ``building:levels`` but no ``height``."""
DEFAULT_HEIGHT_M = 9.0
"""Height of a building with neither ``height`` nor ``building:levels`` (three storeys)."""
WALK_SPEED_MPS = 1.4
"""Walking speed on every walkable edge (steps included)."""

_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(m|metres|meters|ft|feet|')?\s*$", re.I)


class ImportFileError(ValueError):
    """A file cannot be imported; the message names the file and the problem."""


@dataclass(frozen=True)
class Building:
    """A building footprint (lng/lat) and its vertical band in metres above the ground."""

    ref: str
    footprint: MultiPolygon
    height_m: float
    min_height_m: float = 0.0
    name: str | None = None
    height_from: str = "height"


@dataclass
class Stats:
    """Counts of what a parser read, kept and skipped (by reason)."""

    read: int = 0
    kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        """Count one skipped item."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def parse_length(text: str | None) -> float | None:
    """Metres from an OSM-style length (``12``, ``12.5 m``, ``12,5``, ``40 ft``); None if bad."""
    if text is None:
        return None
    m = _NUMBER.match(text.split(";")[0])
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "m").lower()
    return value * 0.3048 if unit in ("ft", "feet", "'") else value


def building_band(tags: dict[str, str]) -> tuple[float, float, str] | None:
    """``(min_height, height, how)`` from OSM building tags; None when they make no sense.

    ``height``, else (``building:levels`` + ``roof:levels``) x ``STOREY_HEIGHT_M``, else
    one storey above ``min_height`` when that is given (a raised part), else
    ``DEFAULT_HEIGHT_M``. The bottom is ``min_height``, else ``building:min_level`` x
    ``STOREY_HEIGHT_M``, else 0.
    """
    low = parse_length(tags.get("min_height"))
    if low is None:
        min_level = parse_length(tags.get("building:min_level"))
        low = min_level * STOREY_HEIGHT_M if min_level is not None and min_level > 0 else 0.0
    height = parse_length(tags.get("height"))
    how = "height"
    if height is None:
        levels = parse_length(tags.get("building:levels"))
        if levels is not None and levels > 0:
            roof = parse_length(tags.get("roof:levels")) or 0.0
            height, how = (levels + max(roof, 0.0)) * STOREY_HEIGHT_M, "levels"
        elif low > 0:
            height, how = low + STOREY_HEIGHT_M, "min_height"
        else:
            height, how = DEFAULT_HEIGHT_M, "default"
    if height <= 0 or low < 0 or height <= low:
        return None
    return low, height, how


def check_file(path: Path) -> Path:
    """The path if it is a readable file, else ImportFileError."""
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if not path.is_file():
        raise ImportFileError(f"{path}: not a file")
    return path
