"""``kukan import osm|buildings|plateau|terrain|airways``: load a city's buildings, roads,
ground and drone corridors (idempotent for the first four: re-importing a source replaces
it; airways add to those stored)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli_common import factory, progress, sub
from api.settings import Settings

if TYPE_CHECKING:
    from registry.importers.parsers.common import Building, Stats
    from registry.importers.parsers.osm import Tick
    from registry.importers.store import Written


def _skipped(stats: Stats) -> str:
    total = sum(stats.skipped.values())
    if not total:
        return ""
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(stats.skipped.items()))
    return f"; skipped {total} ({why})"


def summary(written: Written, seconds: float) -> str:
    """One line saying what an import wrote."""
    w = written
    parts = [f"{w.buildings:,} buildings ({w.voxels:,} voxels, {w.boxes:,} boxes)"]
    if written.edges:
        parts.append(f"{written.edges:,} road edges ({written.nodes:,} nodes)")
    return (
        f"imported {' and '.join(parts)} as source {written.source!r} in {seconds:.1f} s; "
        f"replaced {written.replaced_buildings:,} buildings and {written.replaced_edges:,} edges"
    )


def cmd_osm(args: argparse.Namespace, settings: Settings) -> None:
    """Import buildings and roads from an OSM extract."""
    from registry.db import session_scope
    from registry.importers.parsers.osm import read_osm
    from registry.importers.store import Written, write_buildings, write_roads

    path = Path(args.file)
    source = args.source or f"osm:{path.name.split('.')[0]}"
    t0 = time.perf_counter()
    with progress() as report:
        data = read_osm(
            path,
            buildings=not args.no_buildings,
            roads=not args.no_roads,
            tick=report(f"reading {path.name}", None),
        )
        with session_scope(factory(settings)) as session:
            out = Written(source)
            if not args.no_buildings:
                write_buildings(
                    session=session,
                    source=source,
                    buildings=data.buildings,
                    zoom=args.zoom,
                    ground_m=args.ground_altitude,
                    report=report,
                    out=out,
                )
            if not args.no_roads:
                write_roads(
                    session=session,
                    source=source,
                    nodes=data.nodes,
                    stretches=data.stretches,
                    ground_m=args.ground_altitude,
                    report=report,
                    out=out,
                )
    print(summary(out, time.perf_counter() - t0) + _skipped(data.building_stats))


def _store_buildings(
    args: argparse.Namespace,
    settings: Settings,
    source: str,
    read: Callable[[Callable[[str, int | None], Tick]], tuple[list[Building], Stats]],
) -> None:
    from registry.db import session_scope
    from registry.importers.store import write_buildings

    t0 = time.perf_counter()
    with progress() as report:
        buildings, stats = read(report)
        with session_scope(factory(settings)) as session:
            out = write_buildings(
                session=session,
                source=source,
                buildings=buildings,
                zoom=args.zoom,
                ground_m=args.ground_altitude,
                report=report,
            )
    print(summary(out, time.perf_counter() - t0) + _skipped(stats))


def cmd_buildings(args: argparse.Namespace, settings: Settings) -> None:
    """Import buildings from GeoJSON."""
    from registry.importers.parsers.geojson import read_geojson_buildings

    path = Path(args.file)
    _store_buildings(
        args,
        settings,
        args.source or f"geojson:{path.name.split('.')[0]}",
        lambda report: read_geojson_buildings(
            path,
            height_attribute=args.height_attribute,
            default_height=args.default_height,
            min_height_attribute=args.min_height_attribute,
            tick=report(f"reading {path.name}", None),
        ),
    )


def cmd_plateau(args: argparse.Namespace, settings: Settings) -> None:
    """Import PLATEAU CityGML LOD1 buildings."""
    from registry.importers.parsers.citygml import read_citygml_buildings

    path = Path(args.file)
    _store_buildings(
        args,
        settings,
        args.source or f"plateau:{path.name.split('.')[0]}",
        lambda report: read_citygml_buildings(path, tick=report(f"reading {path.name}", None)),
    )


def cmd_terrain(args: argparse.Namespace, settings: Settings) -> None:
    """Import a GeoTIFF DEM as terrain (for altitudes above the ground, datum AGL)."""
    from registry.db import session_scope
    from registry.errors import InvalidInput
    from registry.services.terrain import MAX_DEM_BYTES, import_dem

    path = Path(args.file)
    if path.stat().st_size > MAX_DEM_BYTES:
        raise SystemExit(f"{path}: larger than {MAX_DEM_BYTES} bytes; cut it into pieces")
    t0 = time.perf_counter()
    try:
        with session_scope(factory(settings)) as session:
            out = import_dem(
                session=session,
                data=path.read_bytes(),
                source=args.source or f"dem:{path.name.split('.')[0]}",
                datum=args.datum,
            )
    except InvalidInput as exc:
        raise SystemExit(f"{path}: {exc}") from None
    w, s, e, n = out.bounds
    print(
        f"terrain {out.source!r}: {out.tiles} tiles over lng {w:.5f}..{e:.5f}, "
        f"lat {s:.5f}..{n:.5f}; heights {out.lowest_m:g}..{out.highest_m:g} m "
        f"({out.datum}) in {time.perf_counter() - t0:.1f} s"
    )


def cmd_airways(args: argparse.Namespace, settings: Settings) -> None:
    """Import airways (drone corridors) from GeoJSON centre lines, all or none."""
    import json

    from registry.db import session_scope
    from registry.errors import InvalidFields
    from registry.services.airways import create_airways, parse

    path = Path(args.file)
    try:
        doc = json.loads(path.read_bytes())
        with session_scope(factory(settings)) as session:
            items = create_airways(session=session, actor=None, airways=parse(doc))
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{path}: {exc}") from None
    except InvalidFields as exc:
        lines = "\n".join(f"  {f}: {r}" for f, r in exc.errors[:20])
        raise SystemExit(f"{path}: {len(exc.errors)} problem(s):\n{lines}") from None
    print(f"imported {len(items)} airways from {path.name}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="name of this data set; re-importing it replaces it")
    parser.add_argument(
        "--zoom", type=int, default=23, help="horizontal zoom of footprints (default 23)"
    )
    parser.add_argument(
        "--ground-altitude",
        type=float,
        default=0.0,
        help="altitude (m, W84) of the ground the heights stand on (default 0)",
    )


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan import osm|buildings|plateau|terrain|airways``."""
    imp = sub(subs, "import", "import city data", "kukan import osm data/helsinki.osm.pbf")
    imp_subs = imp.add_subparsers(dest="action", required=True, metavar="KIND")
    osm = sub(
        imp_subs,
        "osm",
        "buildings (as obstacles) and walk/drive roads from an OpenStreetMap .osm.pbf",
        "kukan import osm data/helsinki.osm.pbf --source helsinki",
    )
    osm.add_argument("file", help="an .osm.pbf (or .osm) file")
    _common(osm)
    osm.add_argument("--no-buildings", action="store_true", help="import the roads only")
    osm.add_argument("--no-roads", action="store_true", help="import the buildings only")
    osm.set_defaults(func=cmd_osm)
    geo = sub(
        imp_subs,
        "buildings",
        "building footprints (Polygon/MultiPolygon features) from GeoJSON",
        "kukan import buildings city.geojson --height-attribute height --default-height 10",
    )
    geo.add_argument("file", help="a GeoJSON FeatureCollection")
    geo.add_argument("--height-attribute", required=True, help="property holding the height (m)")
    geo.add_argument("--default-height", type=float, help="height when the property is missing")
    geo.add_argument("--min-height-attribute", help="property holding the bottom (m)")
    _common(geo)
    geo.set_defaults(func=cmd_buildings)
    pla = sub(
        imp_subs,
        "plateau",
        "LOD1 buildings from a PLATEAU CityGML 2.0 file (streamed)",
        "kukan import plateau 53394611_bldg_6697_op.gml",
    )
    pla.add_argument("file", help="a CityGML .gml file (bldg:Building, EPSG:6697)")
    _common(pla)
    pla.set_defaults(func=cmd_plateau)
    dem = sub(
        imp_subs,
        "terrain",
        "ground heights from a GeoTIFF DEM (any CRS PostGIS knows; first band, metres)",
        "kukan import terrain dem_tokyo.tif --datum MSL",
    )
    dem.add_argument("file", help="a GeoTIFF digital elevation model")
    dem.add_argument("--source", help="name of this DEM; re-importing it replaces it")
    dem.add_argument(
        "--datum",
        choices=["MSL", "W84"],
        default="MSL",
        help="what the heights measure: MSL above sea level (national DEMs), W84 the ellipsoid",
    )
    dem.set_defaults(func=cmd_terrain)
    air = sub(
        imp_subs,
        "airways",
        "drone corridors (LineString centre lines with width_m and an altitude band, W84)",
        "kukan import airways data/airways-helsinki.geojson",
    )
    air.add_argument("file", help="a GeoJSON FeatureCollection (see docs/airways.md)")
    air.set_defaults(func=cmd_airways)
