"""Bodies of reservations, restrictions and obstacles (pydantic v2; inputs forbid extras)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from geoalchemy2.shape import to_shape
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from shapely.geometry import mapping

from api.schemas import (
    INPUT_DATUM_DOC,
    AnyGeometry,
    Area,
    Datum,
    Footprint,
    Input,
    InputDatum,
    Instant,
    Page,
)
from registry.boxes.leaf import exact_band
from registry.models import LEAF_ZOOM

State = Literal["accepted", "activated", "ended", "cancelled", "preempted", "held"]
Band = Field(ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)


def geometry_json(value: Any) -> dict[str, Any] | None:
    """A stored geometry (WKB element) as a GeoJSON dict."""
    if value is None or isinstance(value, dict):
        return value
    return dict(mapping(to_shape(value)))


class VolumeIn(Input):
    """A list of spatial IDs (any zoom; spatio-temporal IDs carry their own window), or
    a GeoJSON geometry with an altitude band and a zoom; each with a time window."""

    spatial_ids: list[str] | None = Field(
        default=None, max_length=100_000, description="z/f/x/y or z/f/x/y_i/t"
    )
    geometry: AnyGeometry | None = Field(default=None, description="GeoJSON geometry")
    altitude_lower: float | None = Field(
        default=None, ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC
    )
    altitude_upper: float | None = Field(
        default=None, ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC
    )
    altitude_datum: InputDatum = "W84"
    zoom: int | None = Field(default=None, ge=0, le=30)
    time_start: Instant | None = Field(default=None, description="RFC 3339 with a zone")
    time_end: Instant | None = None


class ReservationCreate(Input):
    """A new reservation. Priority levels: 0 normal, 50 medical, 90 police, 100 emergency;
    above 0 only as far as the operator is granted (else 403 with ``max_priority``)."""

    vehicle_id: uuid.UUID | None = None
    priority: int = Field(default=0, ge=0, le=100)
    reason: str | None = Field(
        default=None, max_length=200, description="why (shown to the reservations it preempts)"
    )
    volumes: list[VolumeIn] = Field(min_length=1, max_length=1000)


class ReservationReplace(Input):
    """New volumes for a reservation (its vehicle and priority stay)."""

    volumes: list[VolumeIn] = Field(min_length=1, max_length=1000)


class ReservationPatch(Input):
    """A state change, guarded by the version the client last saw."""

    state: Literal["activated", "ended", "cancelled"]
    version: int = Field(ge=1)


class VolumeOut(BaseModel):
    """A volume as submitted."""

    model_config = ConfigDict(from_attributes=True)

    time_start: datetime
    time_end: datetime
    zoom: int | None
    spatial_ids: list[str] | None
    geometry: AnyGeometry | None
    altitude_lower: float | None = Field(validation_alias="altitude_lower_m")
    altitude_upper: float | None = Field(validation_alias="altitude_upper_m")
    altitude_datum: Datum = "W84"


class Preempted(BaseModel):
    """Reservations this one preempted: ids only of one's own operator, else a count."""

    count: int
    ids: list[uuid.UUID]


class ReplanCauseOut(BaseModel):
    """What makes a reservation need re-planning, and since when."""

    kind: Literal["restriction", "obstacle"]
    restriction_id: uuid.UUID | None = None
    obstacle_id: uuid.UUID | None = None
    reason: str = Field(description="the restriction's reason, or the obstacle's kind and name")
    since: datetime


class PreemptedBy(BaseModel):
    """What preempted a reservation: its priority, reason and when. The preempting
    reservation's id only when the viewer may read it (same operator, or an admin); the
    preempting operator is never named."""

    reservation_id: uuid.UUID | None = None
    priority: int
    reason: str | None
    at: datetime


class ReservationOut(BaseModel):
    """A reservation as stored; `state` as read now (a live one whose end has passed is
    `ended`)."""

    id: uuid.UUID
    principal_id: uuid.UUID
    operator_id: uuid.UUID | None
    vehicle_id: uuid.UUID | None
    priority: int
    state: State
    version: int
    needs_replan: bool
    needs_replan_causes: list[ReplanCauseOut] = Field(
        default_factory=list, description="the blockers that met it (empty: none recorded)"
    )
    reason: str | None = None
    preempted_by: PreemptedBy | None = Field(
        default=None, description="set when the state is preempted"
    )
    time_start: datetime
    time_end: datetime
    footprint: Footprint | None = Field(description="GeoJSON MultiPolygon")
    volumes: list[VolumeOut]
    created_at: datetime
    updated_at: datetime
    preempted: Preempted | None = None


class ReservationPage(Page[ReservationOut]):
    """A page of reservations, oldest first."""


class RestrictionCreate(Input):
    """A no-fly area; omit both times for a permanent restriction."""

    geometry: Area = Field(description="GeoJSON Polygon or MultiPolygon")
    altitude_lower: float = Band
    altitude_upper: float = Band
    altitude_datum: InputDatum = "W84"
    time_start: Instant | None = None
    time_end: Instant | None = None
    reason: str = Field(min_length=1, max_length=500)
    zoom: int | None = Field(default=None, ge=1, le=25, description="default: finest that fits")


class RestrictionPatch(Input):
    """Change the reason, or lift (active=false) / restore a restriction."""

    reason: str | None = Field(default=None, min_length=1, max_length=500)
    active: StrictBool | None = None


class StoredExtent(BaseModel):
    """The volume a blocker's boxes actually cover: the footprint at ``horizontal_zoom``
    (coarse across) and, exactly up and down, every ``vertical_resolution_m`` voxel the
    declared band touches (metres, W84)."""

    altitude_lower: float = Field(description="bottom of the stored boxes (metres, W84)")
    altitude_upper: float = Field(
        description="top of the stored boxes: the declared top, rounded up to the leaf voxel"
    )
    altitude_datum: Datum = "W84"
    horizontal_zoom: int = Field(description="the zoom of the horizontal cover (x, y)")
    vertical_resolution_m: float = Field(description="the height of a stored vertical voxel")

    @classmethod
    def of(cls, lower: float, upper: float, zoom: int) -> StoredExtent:
        """The extent stored for the band ``[lower, upper)`` covered at ``zoom``."""
        f0, f1 = exact_band(lower, upper)
        return cls(
            altitude_lower=float(f0),
            altitude_upper=float(f1),
            horizontal_zoom=zoom,
            vertical_resolution_m=2.0 ** (25 - LEAF_ZOOM),
        )


class RestrictionOut(BaseModel):
    """A restriction."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    principal_id: uuid.UUID
    geometry: Area
    altitude_lower: float = Field(validation_alias="altitude_lower_m")
    altitude_upper: float = Field(validation_alias="altitude_upper_m")
    altitude_datum: Datum = "W84"
    time_start: datetime | None
    time_end: datetime | None
    zoom: int
    reason: str
    active: bool
    created_at: datetime
    affected_reservations: list[uuid.UUID] | None = Field(
        default=None, description="active reservations inside it, now marked needs_replan"
    )
    stored_extent: StoredExtent | None = Field(
        default=None, description="what its boxes cover: see StoredExtent"
    )

    @field_validator("geometry", mode="before")
    @classmethod
    def _geojson(cls, value: Any) -> Any:
        return geometry_json(value)

    @model_validator(mode="after")
    def _extent(self) -> RestrictionOut:
        self.stored_extent = StoredExtent.of(self.altitude_lower, self.altitude_upper, self.zoom)
        return self


class ObstacleCreate(Input):
    """A static obstacle: a footprint extruded from min_height_m to height_m."""

    geometry: Area = Field(description="GeoJSON Polygon or MultiPolygon")
    height_m: float = Field(gt=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    min_height_m: float = Field(default=0.0, ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = Field(
        default="W84", description="what both heights are measured from (AGL: the ground)"
    )
    kind: str = Field(default="building", min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    source: str = Field(default="api", min_length=1, max_length=100)
    source_ref: str | None = Field(default=None, max_length=200)
    zoom: int | None = Field(default=None, ge=1, le=25)


class ObstacleOut(BaseModel):
    """An obstacle."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    source_ref: str
    kind: str
    name: str | None
    geometry: Area
    min_height_m: float
    height_m: float
    altitude_datum: Datum = "W84"
    zoom: int
    active: bool
    created_at: datetime
    affected_reservations: list[uuid.UUID] | None = None
    stored_extent: StoredExtent | None = Field(
        default=None, description="what its boxes cover: see StoredExtent"
    )

    @field_validator("geometry", mode="before")
    @classmethod
    def _geojson(cls, value: Any) -> Any:
        return geometry_json(value)

    @model_validator(mode="after")
    def _extent(self) -> ObstacleOut:
        self.stored_extent = StoredExtent.of(self.min_height_m, self.height_m, self.zoom)
        return self


class RestrictionPage(Page[RestrictionOut]):
    """A page of restrictions, oldest first."""


class ObstaclePage(Page[ObstacleOut]):
    """A page of active obstacles, oldest first."""
