"""The registry schema, one module per aggregate; importing this package registers every table.

``Base.metadata`` holds all tables once this package is imported (alembic's ``env.py``
relies on it). The names below are the package's public surface.
"""

from __future__ import annotations

from registry.models.airways import AIRWAY_DIRECTIONS, MAX_AIRWAY_WIDTH_M, Airway
from registry.models.base import ALTITUDE_DATUM, Base
from registry.models.blockers import BlockerBox, Obstacle, Restriction
from registry.models.events import Event, EventRetention
from registry.models.identification import LOOKUP_OUTCOMES, IdentificationLookup
from registry.models.operators import (
    OPERATING_ROLES,
    OPERATOR_BOUND_ROLES,
    OVERSIGHT_ROLES,
    ROLES,
    ApiKey,
    Operator,
    Principal,
    Role,
)
from registry.models.replans import (
    OPEN_REPLAN_STATES,
    REPLAN_CAUSES,
    REPLAN_STATES,
    ReplanProposal,
)
from registry.models.reservations import (
    LEAF_ZOOM,
    LIVE_STATES,
    PRIORITIES,
    REASON_MAX,
    STATES,
    ReplanCause,
    Reservation,
    ReservationBox,
    ReservationVolume,
)
from registry.models.roads import ROAD_ZOOM, RoadEdge, RoadNode
from registry.models.telemetry import (
    CONFORMANCE_STATES,
    PARTITION_PREFIX,
    POSITION_VOXEL_ZOOM,
    Conformance,
    ConformanceTransition,
    Position,
    VehicleLatest,
)
from registry.models.terrain import TERRAIN_DATUMS, TerrainTile
from registry.models.vehicles import (
    DEFAULT_ALTITUDE_BANDS,
    DEFAULT_SNAP_DISTANCES_M,
    IDENTIFIER_FIELDS,
    IDENTIFIER_KINDS,
    VEHICLE_KINDS,
    VEHICLE_STATUSES,
    Vehicle,
)
from registry.models.webhooks import OutboundCursor, Webhook

__all__ = [
    "AIRWAY_DIRECTIONS",
    "ALTITUDE_DATUM",
    "CONFORMANCE_STATES",
    "DEFAULT_ALTITUDE_BANDS",
    "DEFAULT_SNAP_DISTANCES_M",
    "IDENTIFIER_FIELDS",
    "IDENTIFIER_KINDS",
    "LEAF_ZOOM",
    "LIVE_STATES",
    "LOOKUP_OUTCOMES",
    "MAX_AIRWAY_WIDTH_M",
    "OPEN_REPLAN_STATES",
    "OPERATING_ROLES",
    "OPERATOR_BOUND_ROLES",
    "OVERSIGHT_ROLES",
    "PARTITION_PREFIX",
    "POSITION_VOXEL_ZOOM",
    "PRIORITIES",
    "REASON_MAX",
    "REPLAN_CAUSES",
    "REPLAN_STATES",
    "ROAD_ZOOM",
    "ROLES",
    "STATES",
    "TERRAIN_DATUMS",
    "VEHICLE_KINDS",
    "VEHICLE_STATUSES",
    "Airway",
    "ApiKey",
    "Base",
    "BlockerBox",
    "Conformance",
    "ConformanceTransition",
    "Event",
    "EventRetention",
    "IdentificationLookup",
    "Obstacle",
    "Operator",
    "OutboundCursor",
    "Position",
    "Principal",
    "ReplanCause",
    "ReplanProposal",
    "Reservation",
    "ReservationBox",
    "ReservationVolume",
    "Restriction",
    "RoadEdge",
    "RoadNode",
    "Role",
    "TerrainTile",
    "Vehicle",
    "VehicleLatest",
    "Webhook",
]
