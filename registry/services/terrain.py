"""Terrain: import a GeoTIFF DEM into PostGIS rasters, and read ground heights from it.

PostGIS reads the file (GDAL's GTiff driver, enabled for the importing transaction only),
reprojects it to WGS84 lng/lat when it is in another CRS, and cuts it into tiles. Heights
come back in the DEM's own datum (``MSL`` or ``W84``); :mod:`registry.services.datums`
turns them into ellipsoidal heights.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely import Geometry, to_wkt
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.models import TERRAIN_DATUMS

MAX_DEM_BYTES = 512 * 1024 * 1024
"""The largest DEM file one import reads."""

TILE_CELLS = 256
"""Tiles are at most this many cells wide and high."""


@dataclass(frozen=True)
class TerrainImport:
    """What one import stored."""

    source: str
    datum: str
    tiles: int
    bounds: tuple[float, float, float, float]
    """lng/lat of the covered area: west, south, east, north."""
    lowest_m: float
    highest_m: float


@dataclass(frozen=True)
class GroundRange:
    """Least and greatest ground height over an area, in the DEM's ``datum``."""

    lowest_m: float
    highest_m: float
    datum: str


def _enable_gtiff(session: Session) -> None:
    """Let PostGIS's GDAL read GeoTIFF in this transaction (superuser, or a database
    where ``postgis.gdal_enabled_drivers`` already includes GTiff)."""
    have = session.execute(text("SELECT current_setting('postgis.gdal_enabled_drivers', true)"))
    drivers = (have.scalar() or "").split()
    if "GTiff" in drivers or "ENABLE_ALL" in drivers:
        return
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL postgis.gdal_enabled_drivers = 'GTiff'"))
    except DBAPIError as exc:
        raise InvalidInput(
            "PostGIS may not read GeoTIFF here: connect as a superuser, or have one run "
            "ALTER DATABASE <db> SET postgis.gdal_enabled_drivers = 'GTiff'",
            field="file",
        ) from exc


def import_dem(*, session: Session, data: bytes, source: str, datum: str = "MSL") -> TerrainImport:
    """Store a GeoTIFF DEM (its first band, metres) as the terrain of ``source``,
    replacing that source's earlier import."""
    if datum not in TERRAIN_DATUMS:
        raise InvalidInput(f"datum must be one of {', '.join(TERRAIN_DATUMS)}", field="datum")
    if not source.strip():
        raise InvalidInput("source must not be empty", field="source")
    if len(data) > MAX_DEM_BYTES:
        raise InvalidInput(f"a DEM file may have at most {MAX_DEM_BYTES} bytes", field="file")
    _enable_gtiff(session)
    try:
        with session.begin_nested():
            srid = session.execute(
                text("SELECT ST_SRID(ST_FromGDALRaster(:d))"), {"d": data}
            ).scalar()
    except DBAPIError as exc:
        raise InvalidInput(f"not a readable GeoTIFF: {exc.orig}", field="file") from exc
    if not srid:
        raise InvalidInput("the GeoTIFF has no coordinate reference system", field="file")
    session.execute(text("DELETE FROM terrain_tiles WHERE source = :s"), {"s": source})
    session.execute(
        text(
            "INSERT INTO terrain_tiles (source, datum, rast) "
            "SELECT :s, :datum, t FROM ("
            "  SELECT CASE WHEN ST_SRID(r) = 4326 THEN r"
            "              ELSE ST_Transform(r, 4326, 'Bilinear') END AS r"
            "  FROM ST_FromGDALRaster(:d) AS r) src,"
            " LATERAL ST_Tile(ST_Band(src.r, 1), :n, :n) AS t"
        ),
        {"s": source, "datum": datum, "d": data, "n": TILE_CELLS},
    )
    row = session.execute(
        text(
            "SELECT count(*), ST_XMin(ST_Extent(ST_Envelope(rast))::box3d),"
            " ST_YMin(ST_Extent(ST_Envelope(rast))::box3d),"
            " ST_XMax(ST_Extent(ST_Envelope(rast))::box3d),"
            " ST_YMax(ST_Extent(ST_Envelope(rast))::box3d),"
            " min((ST_SummaryStats(rast)).min), max((ST_SummaryStats(rast)).max)"
            " FROM terrain_tiles WHERE source = :s"
        ),
        {"s": source},
    ).one()
    if row[5] is None:
        raise InvalidInput("the DEM has no cell with a value", field="file")
    return TerrainImport(
        source, datum, int(row[0]), (row[1], row[2], row[3], row[4]), float(row[5]), float(row[6])
    )


def ground_range(session: Session, area: Geometry) -> GroundRange | None:
    """Least and greatest ground height over ``area`` (lng/lat), or None unless imported
    terrain of one datum covers all of it with values: over every cell the area touches
    (and a ring of at most one cell around it), and at its vertices (bilinear)."""
    wkt = to_wkt(area)
    row = session.execute(
        text(
            "WITH a AS (SELECT ST_GeomFromText(:g, 4326) AS g),"
            " t AS (SELECT rast, datum,"
            "   ST_Buffer(a.g, greatest(abs(ST_ScaleX(rast)), abs(ST_ScaleY(rast)))) AS ring"
            "   FROM terrain_tiles, a WHERE ST_Intersects(rast, a.g)),"
            " cells AS (SELECT ST_SummaryStats(ST_Clip(rast, ring)) AS s FROM t),"
            " vertices AS (SELECT ST_Value(rast, 1, p.geom, true, 'bilinear') AS v"
            "   FROM t, (SELECT (ST_DumpPoints(g)).geom FROM a) p"
            "   WHERE ST_Intersects(rast, p.geom))"
            " SELECT (SELECT ST_Covers(ST_Union(ST_Polygon(rast)), (SELECT g FROM a)) FROM t),"
            "  (SELECT array_agg(DISTINCT datum) FROM t),"
            "  (SELECT min((s).min) FROM cells), (SELECT max((s).max) FROM cells),"
            "  (SELECT min(v) FROM vertices), (SELECT max(v) FROM vertices)"
        ),
        {"g": wkt},
    ).one()
    covered, datums, lo, hi, vlo, vhi = row
    if not covered or not datums or len(datums) != 1:
        return None
    values = [v for v in (lo, hi, vlo, vhi) if v is not None]
    if not values:
        return None
    return GroundRange(float(min(values)), float(max(values)), datums[0])
