"""Airways (drone corridors) from GeoJSON: centre lines with a width and an altitude band.

A FeatureCollection (or one Feature) of ``LineString`` / ``MultiLineString`` features, each
with ``properties`` ``width_m`` (metres, the whole corridor), ``altitude_lower_m`` and
``altitude_upper_m`` (metres above the WGS84 ellipsoid), optional ``name`` and
``direction`` (``both``, the default, or ``forward``: only in the order of the vertices).
A MultiLineString gives one airway per part. Pure: no database; every problem is reported
with the field it is in (``features[3].properties.width_m``), all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pyproj import Geod

from registry.importers.parsers.common import ImportFileError

MAX_FEATURES = 1_000
"""Features one import may hold."""
MAX_VERTICES = 10_000
"""Vertices one centre line may hold."""
MAX_LINE_M = 500_000.0
"""The longest centre line (metres on the ellipsoid)."""
MAX_WIDTH_M = 2_000.0
"""The widest corridor (metres; the table's check agrees)."""
ALTITUDE_RANGE_M = (-500.0, 10_000.0)
"""Altitudes (W84 metres) a band may use."""
DIRECTIONS = ("both", "forward")
GEOD = Geod(ellps="WGS84")


class AirwayErrors(ImportFileError):
    """Airways that cannot be imported; ``errors`` names each ``(field, reason)``."""

    def __init__(self, message: str, *, errors: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class ParsedAirway:
    """One centre line and its corridor, as plain values."""

    coords: list[tuple[float, float]]
    width_m: float
    altitude_lower_m: float
    altitude_upper_m: float
    name: str | None = None
    direction: str = "both"


def _number(props: dict[str, Any], key: str, at: str, errors: list[tuple[str, str]]) -> float:
    value = props.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors.append((f"{at}.{key}", f"{key} must be a finite number"))
        return math.nan
    return float(value)


def _line(coords: Any, at: str, errors: list[tuple[str, str]]) -> list[tuple[float, float]]:
    if not isinstance(coords, list) or len(coords) < 2:
        errors.append((at, "a line needs at least two positions"))
        return []
    if len(coords) > MAX_VERTICES:
        errors.append((at, f"a line may have at most {MAX_VERTICES} positions"))
        return []
    out: list[tuple[float, float]] = []
    for k, p in enumerate(coords):
        ok = isinstance(p, list) and 2 <= len(p) <= 3
        ok = ok and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        if not ok or not (-180 <= p[0] <= 180 and -85.05 <= p[1] <= 85.05):
            errors.append((f"{at}[{k}]", "a position is [lng, lat] in degrees"))
            return []
        out.append((float(p[0]), float(p[1])))
    if len(set(out)) < 2:
        errors.append((at, "a line needs two distinct positions"))
        return []
    lngs, lats = [p[0] for p in out], [p[1] for p in out]
    if max(lngs) - min(lngs) > 180:
        errors.append((at, "a line may not cross the antimeridian"))
        return []
    length = GEOD.line_length(lngs, lats)
    if length > MAX_LINE_M:
        errors.append(
            (at, f"the line is {length / 1000:.1f} km long (at most {MAX_LINE_M / 1000:g} km)")
        )
        return []
    return out


def _feature(feature: Any, at: str, errors: list[tuple[str, str]]) -> list[ParsedAirway]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        errors.append((f"{at}.type", "expected a GeoJSON Feature"))
        return []
    geom, props = feature.get("geometry"), feature.get("properties")
    lines: list[list[tuple[float, float]]] = []
    geom = geom if isinstance(geom, dict) else {}
    kind = geom.get("type")
    if kind == "LineString":
        lines = [_line(geom.get("coordinates"), f"{at}.geometry.coordinates", errors)]
    elif kind == "MultiLineString":
        parts = geom.get("coordinates")
        if not isinstance(parts, list) or not parts:
            errors.append((f"{at}.geometry.coordinates", "a MultiLineString needs lines"))
        else:
            where = f"{at}.geometry.coordinates"
            lines = [_line(c, f"{where}[{k}]", errors) for k, c in enumerate(parts)]
    else:
        errors.append(
            (f"{at}.geometry.type", f"must be LineString or MultiLineString, not {kind!r}")
        )
    if not isinstance(props, dict):
        errors.append((f"{at}.properties", "properties must be an object"))
        return []
    p = f"{at}.properties"
    width = _number(props, "width_m", p, errors)
    lower = _number(props, "altitude_lower_m", p, errors)
    upper = _number(props, "altitude_upper_m", p, errors)
    if not math.isnan(width) and not 0 < width <= MAX_WIDTH_M:
        errors.append((f"{p}.width_m", f"width_m must be > 0 and <= {MAX_WIDTH_M:g}"))
    lo, hi = ALTITUDE_RANGE_M
    for key, v in (("altitude_lower_m", lower), ("altitude_upper_m", upper)):
        if not math.isnan(v) and not lo <= v <= hi:
            errors.append((f"{p}.{key}", f"{key} must be between {lo:g} and {hi:g}"))
    if lower >= upper:
        errors.append((f"{p}.altitude_upper_m", "altitude_upper_m must be above altitude_lower_m"))
    name = props.get("name")
    if name is not None and (
        not isinstance(name, str) or not 1 <= len(name) <= 200 or "\x00" in name
    ):
        errors.append((f"{p}.name", "name must be text of 1 to 200 characters"))
    direction = props.get("direction", "both")
    if direction not in DIRECTIONS:
        errors.append((f"{p}.direction", f"direction must be one of {', '.join(DIRECTIONS)}"))
    return [ParsedAirway(c, width, lower, upper, name, str(direction)) for c in lines if c]


def parse_airways(doc: Any) -> list[ParsedAirway]:
    """The airways of a GeoJSON FeatureCollection or Feature; ``AirwayErrors`` naming
    every problem (nothing is returned from a document with any)."""
    errors: list[tuple[str, str]] = []
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        out = _feature(doc, "", errors)
        errors = [(f.lstrip("."), r) for f, r in errors]
    elif kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list) or not features:
            raise AirwayErrors("no features", errors=[("features", "at least one feature")])
        if len(features) > MAX_FEATURES:
            raise AirwayErrors(
                "too many features",
                errors=[("features", f"at most {MAX_FEATURES} features, got {len(features)}")],
            )
        out = [a for i, f in enumerate(features) for a in _feature(f, f"features[{i}]", errors)]
    else:
        raise AirwayErrors(
            "not GeoJSON", errors=[("type", "expected a FeatureCollection or a Feature")]
        )
    if errors:
        raise AirwayErrors(
            f"{len(errors)} problem(s) in the airways: {errors[0][1]}", errors=errors
        )
    return out
