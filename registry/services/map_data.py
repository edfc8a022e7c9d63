"""Map data for the web map: the road graph of a bounding box as a GeoJSON FeatureCollection."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes.bbox import BBox

MAX_BBOX_DEG2 = 0.01
"""Largest bbox area (square degrees, about 5 x 5 km in Helsinki) one request may ask for."""
MAX_ROADS = 20_000

_ROADS = """SELECT json_build_object('type', 'FeatureCollection', 'features',
    coalesce(json_agg(json_build_object(
        'type', 'Feature', 'id', e.id,
        'geometry', ST_AsGeoJSON(e.geometry, 7)::json,
        'properties', json_build_object('highway', e.highway, 'name', e.name,
            'walk', e.walk, 'drive', e.drive_forward OR e.drive_backward)
    )), '[]'::json))
    FROM (SELECT * FROM road_edges
        WHERE geometry && ST_MakeEnvelope(:w, :s, :e, :n, 4326)
        ORDER BY id LIMIT :limit) e"""


def roads_geojson(*, session: Session, bbox: BBox) -> dict[str, Any]:
    """Road edges meeting ``bbox`` (at most ``MAX_ROADS``): highway, name, walk, drive."""
    w, s, e, n = bbox
    out = session.scalar(text(_ROADS), {"w": w, "s": s, "e": e, "n": n, "limit": MAX_ROADS})
    data: dict[str, Any] = out if isinstance(out, dict) else json.loads(out)
    return data
