"""What a plan starts from: the vehicle and its limits, its road network, and the view of
the occupancy it plans against."""

from __future__ import annotations

import math
import uuid
from collections.abc import Hashable, Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from planning.network_cache import NetworkCache
from planning.postgis_occupancy import PostgisOccupancy
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import (
    DEFAULT_ALTITUDE_BANDS,
    DEFAULT_SNAP_DISTANCES_M,
    OPERATING_ROLES,
    ROAD_ZOOM,
    Principal,
    Vehicle,
)
from registry.services.roads import load_graph
from registry.services.vehicles import get_vehicle
from routing import (
    GroundNetwork,
    NoRoute,
    TooFar,
)
from routing.occupancy import BusyArrays, TileBox
from routing.vehicle import VehicleLimits
from spatialid import Voxel, VoxelSet

DEFAULT_ZOOM = 23
HORIZON_S = 12 * 3600.0
"""Time-bounded blocks are fetched from departure to departure + this."""
MODES = {"robot": "walk", "car": "drive"}
EARTH_RADIUS_M = 6_371_008.8
DEFAULT_MAX_DISTANCE_M = 100_000.0
"""The longest route (great-circle metres from origin to destination) by default."""


class MovingOnly:
    """An occupancy whose only static blocks are restrictions: ground routes keep to
    roads, which may run through the conservative (coarse) voxels of the buildings beside
    them, but not through a restricted area."""

    def __init__(self, inner: PostgisOccupancy) -> None:
        self.inner = inner

    def static_version(self) -> Hashable:
        """The inner view's token."""
        return self.inner.static_version()

    def blocked_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """Only permanent restrictions block a road for good."""
        return self.inner.restricted_static(z, box)

    def restricted_static(self, z: int, box: TileBox | None = None) -> VoxelSet:
        """The inner view's permanent restrictions."""
        return self.inner.restricted_static(z, box)

    def busy_in(self, z: int, box: TileBox | None, t0: float, t1: float) -> BusyArrays:
        """The inner view's busy rows."""
        return self.inner.busy_in(z, box, t0, t1)

    def busy_intervals(self, voxel: Voxel) -> list[tuple[float, float]]:
        """The inner view's busy intervals."""
        return self.inner.busy_intervals(voxel)


def limits_of(
    vehicle: Vehicle,
    safety_buffer_s: float | None = None,
    clearance_m: float | None = None,
    snap_distances: Mapping[str, float] | None = None,
) -> VehicleLimits:
    """The routing limits of a vehicle (defaults for the rates and band it leaves unset);
    ``clearance_m`` applies to drones only, the snap distance of its kind (from
    ``snap_distances``, else ``DEFAULT_SNAP_DISTANCES_M``) to robots and cars only. A
    drone whose band is empty once the defaults fill it in (e.g. only
    ``altitude_lower_m`` = 200) has no route: ``outside_altitude_band``."""
    ground = vehicle.kind != "drone"
    opts = {} if safety_buffer_s is None else {"safety_buffer_s": safety_buffer_s}
    if clearance_m is not None and not ground:
        opts["clearance_m"] = clearance_m
    if ground:
        reach = {**DEFAULT_SNAP_DISTANCES_M, **(snap_distances or {})}
        opts["snap_max_m"] = reach[vehicle.kind]
    lower, upper = DEFAULT_ALTITUDE_BANDS[vehicle.kind]
    if not ground:
        lower = lower if vehicle.altitude_lower_m is None else vehicle.altitude_lower_m
        upper = upper if vehicle.altitude_upper_m is None else vehicle.altitude_upper_m
    if not lower < upper:
        raise NoRoute(
            "outside_altitude_band",
            f"the vehicle's altitude band [{lower}, {upper}] "
            "is empty (an unset bound defaults to 0 or 150 m)",
        )
    return VehicleLimits(
        max_speed_mps=vehicle.max_speed_mps,
        climb_rate_mps=vehicle.climb_rate_mps or 3.0,
        descent_rate_mps=vehicle.descent_rate_mps or 2.0,
        altitude_lower_m=lower,
        altitude_upper_m=upper,
        **opts,
    )


def distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle metres between two ``(lng, lat, ...)`` points (haversine)."""
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    dla, dlo = la2 - la1, math.radians(b[0] - a[0])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def check_distance(
    origin: Sequence[float],
    destination: Sequence[float],
    kind: str,
    max_distances: Mapping[str, float] | None = None,
) -> None:
    """Refuse a route longer than its kind may be (``max_distances``, metres by vehicle
    kind; ``DEFAULT_MAX_DISTANCE_M`` for a kind it leaves out): ``TooFar`` (``too_far``),
    before any planning work."""
    limit = (max_distances or {}).get(kind, DEFAULT_MAX_DISTANCE_M)
    d = distance_m(origin, destination)
    if d > limit:
        raise TooFar(
            f"the destination is {d / 1000:.1f} km from the origin; a {kind} route may be "
            f"at most {limit / 1000:g} km",
            distance_m=d,
            max_distance_m=limit,
        )


def load_vehicle(*, session: Session, actor: Principal | None, vehicle_id: uuid.UUID) -> Vehicle:
    """The actor's active vehicle (404 for another operator's, 403 for other roles)."""
    if actor is not None and actor.role not in OPERATING_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot plan routes")
    vehicle = get_vehicle(session=session, actor=actor, vehicle_id=vehicle_id)
    if vehicle.status != "active":
        raise Conflict(f"vehicle {vehicle_id} is {vehicle.status}, not active")
    return vehicle


def nearest_source(*, session: Session, lng: float, lat: float) -> str:
    """The road source whose nearest node is closest to ``(lng, lat)``."""
    found = session.scalar(
        text(
            """SELECT source FROM road_nodes
            ORDER BY geometry <-> ST_SetSRID(ST_MakePoint(:lng, :lat), 4326) LIMIT 1"""
        ),
        {"lng": lng, "lat": lat},
    )
    if found is None:
        raise NoRoute("no_edge_nearby", "no road data has been imported")
    return str(found)


def network_for(
    *, session: Session, source: str, kind: str, limits: VehicleLimits, networks: NetworkCache
) -> GroundNetwork:
    """The ground network of a source for a vehicle kind and speed (from ``networks``)."""
    mode = MODES[kind]
    version = tuple(
        session.execute(
            text("SELECT count(*), coalesce(max(id), 0) FROM road_edges WHERE source = :s"),
            {"s": source},
        ).one()
    )
    if version[0] == 0:
        raise InvalidInput(f"source {source!r} has no road data", field="source")

    def build() -> GroundNetwork:
        graph = load_graph(session=session, source=source, mode=mode)
        if graph.number_of_edges() == 0:
            raise NoRoute("no_edge_nearby", f"source {source!r} has no road a {kind} may use")
        return GroundNetwork(graph, kind=kind, zoom=ROAD_ZOOM, max_speed_mps=limits.max_speed_mps)

    return networks.get((source, mode, kind, limits.max_speed_mps), version, build)


def occupancy_for(
    session: Session,
    departure: float,
    limits: VehicleLimits,
    zoom: int,
    exclude: uuid.UUID | None = None,
) -> PostgisOccupancy:
    """A fresh database view for one planning attempt, limited to the vehicle's band
    (without the boxes of reservation ``exclude``)."""
    pad = limits.clearance_m + 2.0 * 2.0 ** (25 - zoom)
    band = (limits.altitude_lower_m - pad, limits.altitude_upper_m + pad)
    now = departure - 2.0 * limits.safety_buffer_s - 1.0
    return PostgisOccupancy(session, now=now, horizon=HORIZON_S, alt_band=band, exclude=exclude)
