"""Helpers for route tests: fresh airspace, vehicles, requests and independent checkers."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.models import LEAF_ZOOM

Z = 23


def place() -> tuple[float, float]:
    """A random (lng, lat) over the open sea no other test uses."""
    return random.uniform(150.0, 170.0), random.uniform(-45.0, -30.0)


def offset(lng: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m``/``north_m`` metres from (lng, lat) (small distances)."""
    import math

    dlat = north_m / 111_320.0
    dlng = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return lng + dlng, lat + dlat


def at(minutes: float) -> str:
    """RFC 3339 ``minutes`` from now (whole seconds)."""
    t = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    return t.isoformat()


def vehicle(
    client: httpx.Client, headers: dict[str, str], kind: str = "drone", **attrs: Any
) -> str:
    """Register a vehicle; its id."""
    body = {
        "name": f"{kind}-{uuid.uuid4().hex[:6]}",
        "kind": kind,
        "max_speed_mps": 15.0 if kind == "drone" else 2.0,
        **attrs,
    }
    r = client.post("/v1/vehicles", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def point(lng: float, lat: float, alt: float = 60.0) -> dict[str, float]:
    """A request point."""
    return {"lng": lng, "lat": lat, "alt": alt}


def leaf_box(sid: str) -> tuple[int, int, int, int, int, int]:
    """The leaf-zoom box ``(x0, x1, y0, y1, f0, f1)`` of a ``z/f/x/y`` ID."""
    z, f, x, y = (int(p) for p in sid.split("/"))
    k = LEAF_ZOOM - z
    return x << k, (x + 1) << k, y << k, (y + 1) << k, f << k, (f + 1) << k


def stored_hits(session: Session, ids: list[dict[str, str]], table: str, where: str) -> int:
    """How many (route voxel, window) pairs meet an active stored box of ``table``."""
    boxes = [leaf_box(s["id"]) for s in ids]
    cols = list(zip(*boxes, strict=True))
    return int(
        session.scalar(
            text(f"""SELECT count(*) FROM unnest(CAST(:x0 AS int[]), CAST(:x1 AS int[]),
            CAST(:y0 AS int[]), CAST(:y1 AS int[]), CAST(:f0 AS int[]), CAST(:f1 AS int[]),
            CAST(:t0 AS timestamptz[]), CAST(:t1 AS timestamptz[]))
            AS m(x0, x1, y0, y1, f0, f1, t0, t1)
            WHERE EXISTS (SELECT 1 FROM {table} b WHERE b.active AND {where}
              AND b.x && int4range(m.x0, m.x1) AND b.y && int4range(m.y0, m.y1)
              AND b.f && int4range(m.f0, m.f1) AND b.during && tstzrange(m.t0, m.t1))"""),
            {
                "x0": list(cols[0]),
                "x1": list(cols[1]),
                "y0": list(cols[2]),
                "y1": list(cols[3]),
                "f0": list(cols[4]),
                "f1": list(cols[5]),
                "t0": [s["time_start"] for s in ids],
                "t1": [s["time_end"] for s in ids],
            },
        )
    )


def overlapping_pairs(session: Session, reservation_ids: list[str]) -> int:
    """Pairs of active boxes of different reservations that overlap in space and time."""
    return int(
        session.scalar(
            text("""SELECT count(*) FROM reservation_boxes a JOIN reservation_boxes b
            ON a.reservation_id < b.reservation_id AND a.x && b.x AND a.y && b.y
            AND a.f && b.f AND a.during && b.during
            WHERE a.active AND b.active AND a.reservation_id = ANY(CAST(:ids AS uuid[]))
            AND b.reservation_id = ANY(CAST(:ids AS uuid[]))"""),
            {"ids": reservation_ids},
        )
    )


def route_windows_overlap(a: list[dict[str, str]], b: list[dict[str, str]]) -> int:
    """Independent check in Python: same voxel (or ancestor) with overlapping windows."""

    def parse(s: dict[str, str]) -> tuple[tuple[int, ...], datetime, datetime]:
        return (
            leaf_box(s["id"]),
            datetime.fromisoformat(s["time_start"]),
            datetime.fromisoformat(s["time_end"]),
        )

    pa, pb = [parse(s) for s in a], [parse(s) for s in b]
    n = 0
    for ba, s0, e0 in pa:
        for bb, s1, e1 in pb:
            meets = all(ba[i] < bb[i + 1] and bb[i] < ba[i + 1] for i in (0, 2, 4))
            if meets and s0 < e1 and s1 < e0:
                n += 1
    return n
