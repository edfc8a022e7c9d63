"""Mapbox vector tiles of reservations, restrictions and obstacles (PostGIS ``ST_AsMVT``).

Each layer selects the rows live at one instant whose stored footprint meets the tile
(``ST_TileEnvelope``, Web Mercator), clips them with ``ST_AsMVTGeom`` and encodes one MVT
layer named after the layer. Reservation altitudes come from the active leaf boxes live
at that instant (a leaf ``f`` step is 1 m, so ``f`` is the altitude in metres). Owner
attributes (reservation ids, operators, declaring principals) go to VIEWERS only (a
municipality: only on features meeting its jurisdiction); restrictions and obstacles are
public in the API, so their id, reason and name are not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.models import Principal
from registry.services.occupancy import VIEWERS

LAYERS = ("reservations", "restrictions", "obstacles")
MAX_TILE_ZOOM = 24
EXTENT = 4096
_ISO = """'YYYY-MM-DD"T"HH24:MI:SS"Z"'"""


def _iso(col: str) -> str:
    return f"to_char({col} AT TIME ZONE 'UTC', {_ISO})"


_GEOM = f"ST_AsMVTGeom(ST_Transform(t.geometry, 3857), e.g, {EXTENT}, 64, true) AS geom"
_ENV = "(SELECT ST_TileEnvelope(:z, :x, :y) AS g) e"
_MEETS = "t.geometry && ST_Transform(e.g, 4326)"

_PUBLIC = {
    "reservations": f"""'reservation' AS kind, {_iso("t.time_start")} AS time_start,
        {_iso("t.time_end")} AS time_end, a.lo::float8 AS altitude_lower,
        a.hi::float8 AS altitude_upper""",
    "restrictions": f"""'restriction' AS kind, t.id::text AS id, t.reason,
        {_iso("t.time_start")} AS time_start, {_iso("t.time_end")} AS time_end,
        t.altitude_lower_m AS altitude_lower, t.altitude_upper_m AS altitude_upper""",
    "obstacles": """'obstacle' AS kind, t.id::text AS id, t.kind AS obstacle_kind, t.name,
        t.min_height_m AS altitude_lower, t.height_m AS altitude_upper""",
}
_OWNER = {
    "reservations": (
        ("t.id::text", "id"),
        ("t.operator_id::text", "operator_id"),
        ("o.name", "operator_name"),
        ("t.state", "state"),
        ("t.priority", "priority"),
        ("t.vehicle_id::text", "vehicle_id"),
    ),
    "restrictions": (("t.principal_id::text", "principal_id"),),
    "obstacles": (
        ("t.principal_id::text", "principal_id"),
        ("t.source", "source"),
        ("t.source_ref", "source_ref"),
    ),
}
_GOVERNED = """(:all OR coalesce(ST_Intersects(t.geometry,
    (SELECT p.jurisdiction FROM principals p WHERE p.id = :me)), false))"""
_FROM = {
    "reservations": f"""{_ENV}, reservations t
        JOIN LATERAL (SELECT min(lower(b.f)) AS lo, max(upper(b.f)) AS hi
            FROM reservation_boxes b WHERE b.reservation_id = t.id AND b.active
            AND b.during @> CAST(:t AS timestamptz) AND upper(b.during) > now()) a
            ON a.lo IS NOT NULL
        LEFT JOIN operators o ON o.id = t.operator_id
        WHERE {_MEETS} AND t.state IN ('accepted', 'activated')
            AND t.time_start <= :t AND :t < t.time_end""",
    "restrictions": f"""{_ENV}, restrictions t WHERE {_MEETS} AND t.active
        AND (t.time_start IS NULL OR (t.time_start <= :t AND :t < t.time_end))""",
    "obstacles": f"{_ENV}, obstacles t WHERE {_MEETS} AND t.active",
}


def tile_sql(layer: str, owners: bool) -> str:
    """The statement encoding one layer of tile ``(:z, :x, :y)`` at instant ``:t``."""
    cols = _PUBLIC[layer]
    if owners:
        cols += "".join(
            f", CASE WHEN {_GOVERNED} THEN {expr} END AS {name}" for expr, name in _OWNER[layer]
        )
    return f"""SELECT ST_AsMVT(q.*, '{layer}', {EXTENT}, 'geom') FROM (
        SELECT {cols}, {_GEOM} FROM {_FROM[layer]}) q WHERE q.geom IS NOT NULL"""


def tile(
    *, session: Session, actor: Principal | None, layer: str, z: int, x: int, y: int, at: datetime
) -> bytes:
    """One layer of the vector tile ``z/x/y`` live at ``at``; empty bytes when nothing is.

    ``actor=None`` is the public view: no owner attributes.
    """
    if layer not in LAYERS:
        raise InvalidInput(f"layer must be one of {', '.join(LAYERS)}", field="layer")
    if not 0 <= z <= MAX_TILE_ZOOM:
        raise InvalidInput(f"z={z} must be 0..{MAX_TILE_ZOOM}", field="z")
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 1 << z:
            raise InvalidInput(f"{name}={value} must be 0..{(1 << z) - 1} at z={z}", field=name)
    owners = actor is not None and actor.role in VIEWERS
    params = {"z": z, "x": x, "y": y, "t": at}
    if owners:
        assert actor is not None
        params |= {"all": actor.is_admin, "me": actor.id}
    out = session.scalar(text(tile_sql(layer, owners)), params)
    return bytes(out or b"")
