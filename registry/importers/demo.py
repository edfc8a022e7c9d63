"""The demo city: central Helsinki from OpenStreetMap, plus demo people, vehicles and plans.

Map data © OpenStreetMap contributors, ODbL 1.0 (see ``data/README.md``). The ground is
taken as altitude 0 m (no terrain model), so building heights and road IDs (f = 0) are
heights above the ground.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.importers.parsers.osm import read_osm
from registry.importers.store import Reporter, Written, quiet, write_buildings, write_roads
from registry.models import Obstacle, Operator, Principal, Role
from registry.services import (
    authority,
    operators,
    principals,
    reservations,
    restrictions,
    vehicles,
)
from registry.services.reservations import VolumeRequest
from registry.volume_errors import Contested

SOURCE = "demo:helsinki"
DRONES, GROUND = "Demo Drones", "Demo Ground Fleet"
NO_FLY = (24.9440, 60.1728, 24.9500, 60.1765)
"""Kaisaniemi Park (approximate bounds, west south east north): no drones below 150 m."""
CORRIDORS = ((24.9445, 60.1676, 24.9500, 60.1680), (24.9515, 60.1692, 24.9525, 60.1697))
"""Drone corridors above the Esplanadi park and the Senate Square (bounds)."""
JURISDICTION = (24.78, 60.10, 25.26, 60.30)
"""The demo municipality governs Helsinki (approximate bounds, covering the demo extract)."""


@dataclass
class Demo:
    """What the demo loaded: the map, and (first time only) operators and their tokens."""

    written: Written
    operator_id: uuid.UUID | None = None
    fleet_operator_id: uuid.UUID | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    reservation_ids: list[uuid.UUID] = field(default_factory=list)


DRONE_IDS = (
    {"registration_mark": "JUDEMO000001", "remote_id": "KUKNADEMQ000001"},
    {"registration_mark": "JUDEMO000002", "remote_id": "KUKNADEMQ000002"},
)
"""The demo drones' registration marks and Remote ID serial numbers (manufacturer KUKN)."""
CAR_PLATE = "DEM-101"
"""The demo car's plate (the Finnish form: letters, a dash, digits)."""


def load_map(*, session: Session, pbf: Path, report: Reporter = quiet) -> Written:
    """Import (or re-import) the demo extract: buildings as obstacles, roads as the graph."""
    data = read_osm(pbf, tick=report(f"reading {pbf.name}", None))
    out = write_buildings(session=session, source=SOURCE, buildings=data.buildings, report=report)
    return write_roads(
        session=session, source=SOURCE, nodes=data.nodes, stretches=data.stretches,
        report=report, out=out,
    )  # fmt: skip


def _polygon(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    w, s, e, n = bounds
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _principal(session: Session, role: Role, op: uuid.UUID | None) -> tuple[Principal, str]:
    return principals.create_principal(
        session=session, actor=None, name=f"demo-{role}", role=role, operator_id=op
    )


def _ground_reservation(session: Session, fleet: Principal, robot: uuid.UUID, t0: datetime) -> Any:
    """Reserve a sidewalk stretch for the robot (the first edge clear of buildings)."""
    rows = session.execute(
        text(
            """SELECT spatial_ids FROM road_edges WHERE source = :s AND walk
            AND highway IN ('footway', 'pedestrian') AND length_m BETWEEN 30 AND 80
            ORDER BY id LIMIT 25"""
        ),
        {"s": SOURCE},
    )
    for (ids,) in rows:
        t1 = t0 + timedelta(minutes=10)
        vol = VolumeRequest(spatial_ids=list(ids), time_start=t0, time_end=t1)
        try:
            with session.begin_nested():
                return reservations.create_reservation(
                    session=session, actor=fleet, volumes=[vol], vehicle_id=robot
                ).reservation
        except Contested:
            continue
    return None


def govern_the_city(session: Session) -> None:
    """Give demo municipalities loaded before jurisdictions existed the demo city."""
    towns = session.scalars(
        select(Principal.id).where(
            Principal.name == f"demo-{Role.MUNICIPALITY}",
            Principal.role == Role.MUNICIPALITY,
            Principal.jurisdiction.is_(None),
        )
    ).all()
    for town in towns:
        authority.set_jurisdiction(
            session=session, actor=None, principal_id=town, geometry=_polygon(JURISDICTION)
        )


def load_people(*, session: Session, now: datetime | None = None) -> Demo | None:
    """Operators, principals of every role, vehicles, a restriction and reservations
    (None when already loaded: then only a missing jurisdiction of the town is set)."""
    if session.scalar(select(Operator.id).where(Operator.name == DRONES)) is not None:
        govern_the_city(session)
        return None
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    drones = operators.create_operator(session=session, actor=None, name=DRONES)
    ground = operators.create_operator(session=session, actor=None, name=GROUND)
    demo = Demo(Written(SOURCE), drones.id, ground.id)
    op, demo.tokens[Role.OPERATOR] = _principal(session, Role.OPERATOR, drones.id)
    fleet, demo.tokens[Role.FLEET] = _principal(session, Role.FLEET, ground.id)
    city, demo.tokens[Role.MUNICIPALITY] = _principal(session, Role.MUNICIPALITY, None)
    authority.set_jurisdiction(
        session=session, actor=None, principal_id=city.id, geometry=_polygon(JURISDICTION)
    )
    _, demo.tokens[Role.ADMIN] = _principal(session, Role.ADMIN, None)
    made = {}
    for name, kind, speed, owner, ids in (
        ("Demo Quad 1", "drone", 15.0, drones.id, DRONE_IDS[0]),
        ("Demo Quad 2", "drone", 20.0, drones.id, DRONE_IDS[1]),
        ("Demo Rover", "robot", 1.5, ground.id, {}),
        ("Demo Delivery Robot", "robot", 1.8, ground.id, {}),
        ("Demo Car", "car", 13.9, ground.id, {"plate": CAR_PLATE}),
    ):
        made[name] = vehicles.create_vehicle(
            session=session, actor=None, name=name, kind=kind, max_speed_mps=speed,
            operator_id=owner, attrs=ids,
        ).id  # fmt: skip
    restrictions.create_restriction(
        session=session, actor=city, geometry=_polygon(NO_FLY), altitude_lower=0.0,
        altitude_upper=150.0, reason="Kaisaniemi Park: no drones below 150 m (demo)",
    )  # fmt: skip
    top = session.scalar(select(func.max(Obstacle.height_m)).where(Obstacle.source == SOURCE))
    low = max(80.0, math.ceil(top or 0.0) + 10.0)
    for k, bounds in enumerate(CORRIDORS):
        t0 = now + timedelta(hours=1 + k)
        vol = VolumeRequest(
            geometry=_polygon(bounds), altitude_lower=low, altitude_upper=low + 40.0,
            zoom=21, time_start=t0, time_end=t0 + timedelta(minutes=30),
        )  # fmt: skip
        vehicle = made["Demo Quad 1" if k == 0 else "Demo Quad 2"]
        res = reservations.create_reservation(
            session=session, actor=op, volumes=[vol], vehicle_id=vehicle
        )
        demo.reservation_ids.append(res.reservation.id)
    robot = _ground_reservation(session, fleet, made["Demo Rover"], now + timedelta(minutes=30))
    if robot is not None:
        demo.reservation_ids.append(robot.id)
    return demo
