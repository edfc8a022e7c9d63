"""PLATEAU CityGML 2.0 LOD1 buildings, streamed with ``iterparse`` (files are hundreds of MB).

Each ``bldg:Building`` gives one building: its footprint is the ``lod0FootPrint``
(else ``lod0RoofEdge``) surfaces, else the lowest surface of each ``lod1Solid``; its height
is ``bldg:measuredHeight`` (else the solid's height). ``gml:posList`` in EPSG:6697 is
``lat lon h`` per vertex: latitude first. Heights are stored above the ground (the TP
elevations of the vertices only give the fallback height), like the other importers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from registry.importers.parsers.common import (
    Building,
    ImportFileError,
    Stats,
    check_file,
    parse_length,
)
from registry.importers.parsers.osm import Tick, as_multipolygon

GML = "{http://www.opengis.net/gml}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ring(poslist: ET.Element | None, dim: int) -> np.ndarray | None:
    """``(n, 3)`` lon, lat, h of a posList in lat-lon-h order; None if unusable."""
    if poslist is None or not (poslist.text or "").strip():
        return None
    try:
        values = np.array(poslist.text.split(), dtype=np.float64)  # type: ignore[union-attr]
    except ValueError:
        return None
    if dim not in (2, 3) or len(values) % dim or len(values) < 4 * dim:
        return None
    xyz = values.reshape(-1, dim)
    h = xyz[:, 2] if dim == 3 else np.zeros(len(xyz))
    return np.column_stack([xyz[:, 1], xyz[:, 0], h])


def _polygons(surfaces: ET.Element) -> list[tuple[Polygon, float, float]]:
    """Every gml:Polygon below an element: (lng/lat polygon, min h, max h)."""
    out = []
    for poly in surfaces.iter(f"{GML}Polygon"):
        rings = []
        for ring in poly.iter(f"{GML}LinearRing"):
            pos = ring.find(f"{GML}posList")
            dim = int(pos.get("srsDimension", "3")) if pos is not None else 3
            xyz = _ring(pos, dim)
            if xyz is not None:
                rings.append(xyz)
        if rings:
            shape = Polygon(rings[0][:, :2], [r[:, :2] for r in rings[1:]])
            out.append((shape, float(rings[0][:, 2].min()), float(rings[0][:, 2].max())))
    return out


def _building(elem: ET.Element, index: int) -> tuple[Building | None, str]:
    """One building from a ``bldg:Building`` element, or None and the reason."""
    ref = elem.get(f"{GML}id") or f"building/{index}"
    heights = [parse_length(e.text) for e in elem.iter() if _local(e.tag) == "measuredHeight"]
    height = next((h for h in heights if h is not None and h > 0), None)
    parts: list[Polygon] = []
    for e in elem.iter():
        if _local(e.tag) in ("lod0FootPrint", "lod0RoofEdge") and not parts:
            parts = [p for p, _, _ in _polygons(e)]
    solid_h = None
    if not parts:
        for e in elem.iter():
            if _local(e.tag) == "lod1Solid":
                polys = _polygons(e)
                if polys:
                    low = min(lo for _, lo, _ in polys)
                    top = max(hi for _, _, hi in polys)
                    parts += [p for p, lo, hi in polys if hi - low < 0.01]
                    solid_h = max(solid_h or 0.0, top - low)
    if not parts:
        return None, "no lod0 footprint or lod1 solid"
    height = height if height is not None else solid_h
    if height is None or height <= 0:
        return None, "no measuredHeight"
    geom = as_multipolygon(MultiPolygon(parts) if len(parts) > 1 else parts[0])
    if geom is None:
        return None, "invalid geometry"
    name = next((e.text for e in elem if e.tag == f"{GML}name" and e.text), None)
    return Building(ref, geom, height, 0.0, name, "measuredHeight"), ""


def read_citygml_buildings(path: Path, *, tick: Tick | None = None) -> tuple[list[Building], Stats]:
    """Buildings of a CityGML file, streamed (each building element is freed when done)."""
    check_file(path)
    out: list[Building] = []
    stats = Stats()
    depth = 0
    root: ET.Element | None = None
    try:
        for event, elem in ET.iterparse(str(path), events=("start", "end")):
            if root is None:
                root = elem
            if _local(elem.tag) != "Building" or "building" not in elem.tag:
                continue
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth:
                continue
            stats.read += 1
            building, reason = _building(elem, stats.read)
            if building is None:
                stats.skip(reason)
            else:
                out.append(building)
                stats.kept += 1
                if tick:
                    tick(1)
            elem.clear()
            root.clear()
    except ET.ParseError as exc:
        raise ImportFileError(f"{path}: malformed XML ({exc})") from None
    if root is None or _local(root.tag) != "CityModel":
        raise ImportFileError(f"{path}: not a CityGML file (no core:CityModel root)")
    return out, stats
