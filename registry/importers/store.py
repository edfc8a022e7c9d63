"""Write parsed buildings and roads for one ``source``: replace, in the caller's transaction.

Idempotent: the source's obstacles (their blocker boxes cascade) and road rows are
deleted and inserted again. Transactional: everything happens in the caller's session,
so an error anywhere rolls the whole import back. Race-free against reservations by the
protocol of :mod:`registry.boxes.blockers` (``placing``): one ``SHARE`` lock on
``reservation_boxes`` before the blocker boxes go in, then the reservations under them are
marked ``needs_replan``.

Footprints are covered at ``zoom`` (default 23) horizontally; vertically each building
is stored at 1 m (leaf zoom) from ``floor(ground + min_height)`` to ``ceil(ground + height)``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes import blockers, overlap, replans
from registry.boxes.leaf import to_leaf
from registry.importers.parsers.common import Building
from registry.importers.parsers.graph import line_ids, node_ids
from registry.importers.parsers.osm import Stretch
from registry.models import ROAD_ZOOM
from spatialid import SpatialIdError, geometry_to_voxels, voxel_height
from spatialid.voxel import ALTITUDE_EXTENT_M

BUILDING_ZOOM = 23
"""Default horizontal zoom of building footprints (about 4.8 m at the equator, 2.4 m at 60°N)."""
Reporter = Callable[[str, int | None], Callable[[int], None]]
CHUNK = 20_000


def quiet(label: str, total: int | None) -> Callable[[int], None]:
    """A progress reporter that reports nothing."""
    return lambda n: None


@dataclass
class Written:
    """What one import wrote (and replaced)."""

    source: str
    buildings: int = 0
    voxels: int = 0
    boxes: int = 0
    nodes: int = 0
    edges: int = 0
    replaced_buildings: int = 0
    replaced_edges: int = 0
    needs_replan: int = 0


def building_boxes(b: Building, zoom: int, ground_m: float) -> tuple[np.ndarray, int]:
    """Leaf boxes of a building (footprint at ``zoom``, 1 m vertically) and its voxel count."""
    cells = geometry_to_voxels(b.footprint, zoom, alt_lower=0.0, alt_upper=0.5)
    rows = to_leaf(cells.boxes(), zoom) if zoom <= 25 else to_leaf(cells.to_zoom(25).boxes(), 25)
    low, high = ground_m + b.min_height_m, ground_m + b.height_m
    if not -ALTITUDE_EXTENT_M <= low < high <= ALTITUDE_EXTENT_M:
        raise SpatialIdError(f"band {low:g}..{high:g} m is outside the spatial ID range")
    rows[:, 4], rows[:, 5] = math.floor(low), math.ceil(high)
    vh = voxel_height(zoom)
    layers = math.ceil(high / vh) - math.floor(low / vh)
    return rows, len(cells) * layers


def _delete(session: Session, table: str, source: str) -> int:
    result = session.execute(text(f"DELETE FROM {table} WHERE source = :s"), {"s": source})
    return int(getattr(result, "rowcount", 0) or 0)


def write_buildings(
    *,
    session: Session,
    source: str,
    buildings: Sequence[Building],
    kind: str = "building",
    zoom: int = BUILDING_ZOOM,
    ground_m: float = 0.0,
    report: Reporter = quiet,
    out: Written | None = None,
) -> Written:
    """Replace the source's obstacles by ``buildings`` (one lock, batched inserts)."""
    out = out or Written(source)
    stale = list(
        session.scalars(
            text(
                """SELECT DISTINCT c.reservation_id FROM replan_causes c
                JOIN obstacles o ON o.id = c.obstacle_id WHERE o.source = :s"""
            ),
            {"s": source},
        )
    )  # held for re-plan by the buildings replaced: judged again once the new ones are in
    with blockers.placing(session=session, column="obstacle_id") as placed:
        out.replaced_buildings = _delete(session, "obstacles", source)
        ids = [uuid.uuid4() for _ in buildings]
        parts: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        tick = report("voxelising buildings", len(buildings))
        for k, b in enumerate(buildings):
            try:
                rows, count = building_boxes(b, zoom, ground_m)
            except SpatialIdError as exc:
                raise ValueError(f"building {b.ref}: {exc}") from None
            parts.append(rows)
            owners.append(np.full(len(rows), k))
            out.voxels += count
            tick(1)
        tick = report("writing buildings", len(buildings))
        for i in range(0, len(buildings), CHUNK):
            chunk = buildings[i : i + CHUNK]
            session.execute(
                text(
                    """INSERT INTO obstacles (id, source, source_ref, kind, name, geometry,
                        min_height_m, height_m, zoom, active)
                    SELECT i, :source, r, :kind, n, ST_Multi(ST_GeomFromWKB(g, 4326)),
                        lo + :ground, hi + :ground, :zoom, true
                    FROM unnest(CAST(:ids AS uuid[]), CAST(:refs AS text[]), CAST(:names AS text[]),
                        CAST(:wkb AS bytea[]), CAST(:lo AS float8[]), CAST(:hi AS float8[]))
                        AS t(i, r, n, g, lo, hi)"""
                ),
                {
                    "source": source, "kind": kind, "zoom": zoom, "ground": ground_m,
                    "ids": ids[i : i + CHUNK], "refs": [b.ref for b in chunk],
                    "names": [b.name for b in chunk],
                    "wkb": [shapely.to_wkb(b.footprint) for b in chunk],
                    "lo": [float(b.min_height_m) for b in chunk],
                    "hi": [float(b.height_m) for b in chunk],
                },
            )  # fmt: skip
            tick(len(chunk))
        rows = np.concatenate(parts) if parts else np.empty((0, 6), np.int64)
        who = np.concatenate(owners) if owners else np.empty(0, np.int64)
        out.buildings, out.boxes = len(buildings), len(rows)
        tick = report("writing blocker boxes", len(rows))
        for i in range(0, len(rows), CHUNK):
            r = rows[i : i + CHUNK]
            none: list[datetime | None] = [None] * len(r)
            placed.add([ids[k] for k in who[i : i + CHUNK].tolist()], overlap.Probe(r, none, none))
            tick(len(r))
    replans.clear(session=session, reservation_ids=stale)
    out.needs_replan = len(placed.hit)
    return out


def write_roads(
    *,
    session: Session,
    source: str,
    nodes: dict[int, tuple[float, float]],
    stretches: Sequence[Stretch],
    ground_m: float = 0.0,
    report: Reporter = quiet,
    out: Written | None = None,
) -> Written:
    """Replace the source's road graph by these nodes and stretches."""
    out = out or Written(source)
    out.replaced_edges = _delete(session, "road_edges", source)
    _delete(session, "road_nodes", source)
    refs = list(nodes)
    lngs = np.array([nodes[r][0] for r in refs])
    lats = np.array([nodes[r][1] for r in refs])
    tick = report("writing road nodes", len(refs))
    keys: dict[int, int] = {}
    if refs:
        result = session.execute(
            text(
                """INSERT INTO road_nodes (source, ref, geometry, spatial_id)
                SELECT :source, r, ST_SetSRID(ST_MakePoint(x, y), 4326), s
                FROM unnest(CAST(:refs AS bigint[]), CAST(:x AS float8[]), CAST(:y AS float8[]),
                    CAST(:sids AS text[])) AS t(r, x, y, s)
                RETURNING ref, id"""
            ),
            {
                "source": source, "refs": refs, "x": lngs.tolist(), "y": lats.tolist(),
                "sids": node_ids(lngs, lats, ground_m, ROAD_ZOOM),
            },
        )  # fmt: skip
        keys = {int(ref): int(i) for ref, i in result}
    tick(len(refs))
    tick = report("mapping road edges to spatial IDs", len(stretches))
    cols: dict[str, list[object]] = {c: [] for c in _EDGE_COLS}
    for s in stretches:
        a = s.access
        values = (
            keys[s.u], keys[s.v], s.way_ref, s.highway, s.name, s.length_m, a.walk,
            a.drive_forward, a.drive_backward, a.walk_speed_mps, a.drive_speed_mps,
            "LINESTRING(" + ",".join(f"{x!r} {y!r}" for x, y in s.coords) + ")",
            " ".join(line_ids(s.coords, ground_m, ROAD_ZOOM)),
        )  # fmt: skip
        for c, v in zip(_EDGE_COLS, values, strict=True):
            cols[c].append(v)
        tick(1)
    tick = report("writing road edges", len(stretches))
    for i in range(0, len(stretches), CHUNK):
        session.execute(
            text(_EDGE_SQL), {"source": source} | {c: v[i : i + CHUNK] for c, v in cols.items()}
        )
        tick(min(CHUNK, len(stretches) - i))
    out.nodes, out.edges = len(refs), len(stretches)
    return out


_EDGE_COLS = ("u", "v", "way", "hw", "nm", "len", "wk", "df", "db", "ws", "ds", "wkt", "ids")
_EDGE_SQL = """INSERT INTO road_edges (source, from_node, to_node, way_ref, highway, name,
        length_m, walk, drive_forward, drive_backward, walk_speed_mps, drive_speed_mps,
        geometry, spatial_ids)
    SELECT :source, u, v, way, hw, nm, len, wk, df, db, ws, ds, ST_GeomFromText(wkt, 4326),
        string_to_array(ids, ' ')
    FROM unnest(CAST(:u AS bigint[]), CAST(:v AS bigint[]), CAST(:way AS bigint[]),
        CAST(:hw AS text[]), CAST(:nm AS text[]), CAST(:len AS float8[]), CAST(:wk AS bool[]),
        CAST(:df AS bool[]), CAST(:db AS bool[]), CAST(:ws AS float8[]), CAST(:ds AS float8[]),
        CAST(:wkt AS text[]), CAST(:ids AS text[]))
        AS t(u, v, way, hw, nm, len, wk, df, db, ws, ds, wkt, ids)"""
