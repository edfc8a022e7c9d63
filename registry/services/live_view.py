"""The live view: where each vehicle the principal may watch is now, and how its flight
conforms; the alerts are the flights off plan or silent.

An operator's keys watch its own vehicles, a municipality those whose latest fix lies inside
its jurisdiction, an admin all. Only vehicles with a fix in the last ``max_age_s`` count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes.bbox import BBox
from registry.models import Principal

ALERTS = ("nonconforming", "contingent")
_SQL = """
SELECT l.vehicle_id, v.name, v.kind, v.operator_id, l.time, l.lng, l.lat, l.alt_m,
    l.speed_mps, l.heading_deg, l.reservation_id, c.state, coalesce(c.lost, false)
FROM vehicle_latest l
JOIN vehicles v ON v.id = l.vehicle_id
LEFT JOIN conformance c ON c.reservation_id = l.reservation_id
WHERE l.time > now() - make_interval(secs => :max_age)
    AND l.lng BETWEEN :w AND :e AND l.lat BETWEEN :s AND :n
    AND {visible}
ORDER BY l.vehicle_id
LIMIT :limit
"""
_VISIBLE = {
    "admin": "true",
    "operator": "v.operator_id = :operator_id",
    "municipality": """EXISTS (SELECT FROM principals p WHERE p.id = :principal_id
        AND ST_Covers(p.jurisdiction, ST_SetSRID(ST_MakePoint(l.lng, l.lat), 4326)))""",
}


@dataclass(frozen=True)
class LiveVehicle:
    """One vehicle as the live view shows it."""

    vehicle_id: str
    name: str
    kind: str
    time: datetime
    lng: float
    lat: float
    alt_m: float
    speed_mps: float | None
    heading_deg: float | None
    reservation_id: str | None
    conformance: str | None
    lost: bool

    @property
    def alert(self) -> bool:
        """Off plan or silent while flying."""
        return self.conformance in ALERTS or (self.lost and self.conformance != "ended")

    def feature(self) -> dict[str, Any]:
        """A GeoJSON Point feature (lng, lat, alt_m) with the rest as properties."""
        props = {
            k: getattr(self, k)
            for k in ("vehicle_id", "name", "kind", "alt_m", "speed_mps", "heading_deg")
        }
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.lng, self.lat, self.alt_m]},
            "properties": {
                **props,
                "time": self.time.isoformat(),
                "reservation_id": self.reservation_id,
                "conformance": self.conformance,
                "lost": self.lost,
                "alert": self.alert,
            },
        }


def live_vehicles(
    *, session: Session, actor: Principal, bbox: BBox, max_age_s: float, limit: int
) -> list[LiveVehicle]:
    """The vehicles ``actor`` may watch inside ``bbox`` with a recent fix, at most ``limit``."""
    if actor.is_admin:
        visible = _VISIBLE["admin"]
    elif actor.operator_id is not None:
        visible = _VISIBLE["operator"]
    else:
        visible = _VISIBLE["municipality"]
    w, s, e, n = bbox
    rows = session.execute(
        text(_SQL.format(visible=visible)),
        {
            "max_age": max_age_s,
            "w": w,
            "s": s,
            "e": e,
            "n": n,
            "limit": limit,
            "operator_id": actor.operator_id,
            "principal_id": actor.id,
        },
    ).all()
    return [
        LiveVehicle(
            vehicle_id=str(r[0]),
            name=r[1],
            kind=r[2],
            time=r[4],
            lng=r[5],
            lat=r[6],
            alt_m=r[7],
            speed_mps=r[8],
            heading_deg=r[9],
            reservation_id=None if r[10] is None else str(r[10]),
            conformance=r[11],
            lost=bool(r[12]),
        )
        for r in rows
    ]
