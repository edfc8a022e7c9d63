"""GeoJSON building footprints (Polygon or MultiPolygon features) with a height attribute."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely

from registry.importers.parsers.common import (
    Building,
    ImportFileError,
    Stats,
    check_file,
    parse_length,
)
from registry.importers.parsers.osm import Tick, as_multipolygon


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return parse_length(value) if isinstance(value, str) else None


def _features(doc: Any, path: Path) -> list[Any]:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return list(doc["features"])
    if kind == "Feature":
        return [doc]
    raise ImportFileError(f"{path}: expected a GeoJSON FeatureCollection or Feature, got {kind!r}")


def read_geojson_buildings(
    path: Path,
    *,
    height_attribute: str,
    default_height: float | None = None,
    min_height_attribute: str | None = None,
    tick: Tick | None = None,
) -> tuple[list[Building], Stats]:
    """Buildings from a GeoJSON file; features without a usable height use the default."""
    check_file(path)
    try:
        doc = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not valid JSON (not UTF-8 text)") from None
    out: list[Building] = []
    stats, seen = Stats(), set()
    for k, feature in enumerate(_features(doc, path)):
        stats.read += 1
        props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        height = _number(props.get(height_attribute))
        how = height_attribute
        if height is None:
            height, how = default_height, "default"
        low = _number(props.get(min_height_attribute)) if min_height_attribute else 0.0
        if height is None or low is None or height <= max(low, 0.0):
            stats.skip(f"no usable {height_attribute!r}")
            continue
        try:
            geom = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            stats.skip("no usable geometry")
            continue
        multi = as_multipolygon(geom) if geom.geom_type in ("Polygon", "MultiPolygon") else None
        if multi is None:
            stats.skip("not a polygon")
            continue
        ref = str(feature.get("id") or props.get("id") or f"feature/{k}")
        ref = ref if ref not in seen else f"feature/{k}"
        seen.add(ref)
        name = props.get("name")
        out.append(Building(ref, multi, height, low, str(name) if name else None, how))
        stats.kept += 1
        if tick:
            tick(1)
    return out, stats
