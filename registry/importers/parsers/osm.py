"""OpenStreetMap ``.osm.pbf`` -> buildings (footprints with heights) and road stretches.

Buildings are the areas (closed ways and multipolygon relations, assembled by libosmium)
tagged ``building`` (not ``building=no``); their band comes from
:func:`registry.importers.parsers.common.building_band`. Roads are the ways tagged ``highway``
that pedestrians or cars may use (:mod:`registry.importers.parsers.road_rules`), split into
stretches at every node shared by two ways and at way ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon

from registry.importers.parsers.common import (
    WALK_SPEED_MPS,
    Building,
    ImportFileError,
    Stats,
    building_band,
    check_file,
)
from registry.importers.parsers.road_rules import Access, access

GEOD = Geod(ellps="WGS84")
Tick = Callable[[int], None]


@dataclass(frozen=True)
class Stretch:
    """Part of a way between two graph nodes: OSM node refs and its lng/lat vertices."""

    way_ref: int
    u: int
    v: int
    coords: list[tuple[float, float]]
    length_m: float
    highway: str
    name: str | None
    access: Access


@dataclass
class OsmData:
    """Everything read from one OSM file."""

    buildings: list[Building] = field(default_factory=list)
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    stretches: list[Stretch] = field(default_factory=list)
    building_stats: Stats = field(default_factory=Stats)
    road_stats: Stats = field(default_factory=Stats)


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon | None:
    """A valid MultiPolygon of the polygonal part of ``geom`` (repaired); None if empty."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if not parts:
        return None
    multi = MultiPolygon(parts)
    return multi if multi.is_valid else as_multipolygon(shapely.union_all(parts))


class _Handler(osmium.SimpleHandler):
    """Collects building areas and highway ways (with node locations)."""

    def __init__(self, data: OsmData, tick: Tick | None, buildings: bool, roads: bool) -> None:
        super().__init__()
        self.data, self.tick = data, tick
        self.want_buildings, self.want_roads = buildings, roads
        self.wkb = osmium.geom.WKBFactory()
        self.ways: list[tuple[int, dict[str, str], list[tuple[int, float, float]]]] = []

    def area(self, a: osmium.osm.Area) -> None:
        """Keep a building area with a usable band."""
        if not self.want_buildings or a.tags.get("building", "no") == "no":
            return
        stats = self.data.building_stats
        stats.read += 1
        ref = f"{'way' if a.from_way() else 'relation'}/{a.orig_id()}"
        tags = {t.k: t.v for t in a.tags}
        band = building_band(tags)
        if band is None:
            stats.skip("unusable height tags")
            return
        try:
            geom = as_multipolygon(shapely.from_wkb(self.wkb.create_multipolygon(a)))
        except (RuntimeError, shapely.errors.GEOSException):
            geom = None
        if geom is None:
            stats.skip("invalid geometry")
            return
        stats.kept += 1
        self.data.buildings.append(
            Building(ref, geom, band[1], band[0], tags.get("name"), height_from=band[2])
        )
        if self.tick:
            self.tick(1)

    def way(self, w: osmium.osm.Way) -> None:
        """Keep a highway way pedestrians or cars may use."""
        if not self.want_roads or "highway" not in w.tags:
            return
        self.data.road_stats.read += 1
        tags = {t.k: t.v for t in w.tags}
        if access(tags, WALK_SPEED_MPS) is None:
            self.data.road_stats.skip("no walking or driving access")
            return
        runs: list[list[tuple[int, float, float]]] = [[]]
        for n in w.nodes:  # a way cut by the extract's edge keeps its parts inside
            if n.location.valid():
                runs[-1].append((n.ref, n.lon, n.lat))
            elif runs[-1]:
                runs.append([])
        runs = [run for run in runs if len(run) >= 2]
        if not runs:
            self.data.road_stats.skip("nodes outside the extract")
            return
        self.data.road_stats.kept += 1
        self.ways.extend((w.id, tags, run) for run in runs)
        if self.tick:
            self.tick(1)


def _split(
    data: OsmData, ways: list[tuple[int, dict[str, str], list[tuple[int, float, float]]]]
) -> None:
    """Split ways into stretches at shared nodes and way ends."""
    uses = Counter(ref for _, _, nodes in ways for ref, _, _ in nodes)
    for way_ref, tags, nodes in ways:
        rule = access(tags, WALK_SPEED_MPS)
        assert rule is not None
        start = 0
        for i in range(1, len(nodes)):
            if i < len(nodes) - 1 and uses[nodes[i][0]] < 2:
                continue
            part = nodes[start : i + 1]
            coords = [(lng, lat) for _, lng, lat in part]
            lngs, lats = zip(*coords, strict=True)
            length = float(GEOD.line_length(lngs, lats))
            if length > 0:
                for ref, lng, lat in (part[0], part[-1]):
                    data.nodes[ref] = (lng, lat)
                data.stretches.append(
                    Stretch(
                        way_ref, part[0][0], part[-1][0], coords, length,
                        tags["highway"], tags.get("name"), rule,
                    )
                )  # fmt: skip
            start = i


def read_osm(
    path: Path, *, buildings: bool = True, roads: bool = True, tick: Tick | None = None
) -> OsmData:
    """Read buildings and road stretches from an ``.osm.pbf`` (or ``.osm``) file."""
    check_file(path)
    data = OsmData()
    handler = _Handler(data, tick, buildings, roads)
    try:
        handler.apply_file(str(path), locations=True)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportFileError(f"{path}: not a readable OSM file ({reason})") from None
    _split(data, handler.ways)
    return data
