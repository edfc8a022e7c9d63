"""Request and response bodies of vehicles and their positions: the identifiers each kind
carries, create and partial update, the altitude band, a position fix."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    computed_field,
    field_validator,
)

from api.schemas import (
    INPUT_DATUM_DOC,
    Altitude,
    Datum,
    Dimension,
    Input,
    InputDatum,
    Instant,
    Kind,
    Page,
    Rate,
    Speed,
    Status,
)
from registry.models import DEFAULT_ALTITUDE_BANDS, IDENTIFIER_KINDS
from registry.services import identifiers


def _string_pattern(pattern: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` putting ``pattern`` on the string branch of ``str | None`` (the
    check itself is a validator, for a reason that names the form)."""

    def extra(schema: dict[str, Any]) -> None:
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "string":
                branch["pattern"] = pattern

    return extra


RegistrationMark = Field(
    default=None,
    json_schema_extra=_string_pattern(identifiers.REGISTRATION_MARK_PATTERN),
    description="drones: Japan's registration mark (登録記号), JU and 10 letters or digits; "
    "stored uppercase, unique among live vehicles",
    examples=["JU0123456789"],
)
RemoteId = Field(
    default=None,
    json_schema_extra=_string_pattern(identifiers.REMOTE_ID_PATTERN),
    description="drones: the Remote ID serial number (ANSI/CTA-2063-A): manufacturer code "
    "(4), length (1-9, A-F) and that many characters, no O or I; stored uppercase, unique "
    "among live vehicles",
    examples=["1581F4XFB00000000000"],
)
Plate = Field(
    default=None,
    min_length=1,
    max_length=identifiers.PLATE_MAX,
    pattern=identifiers.PLATE_PATTERN,
    description="cars: the registration plate, stored trimmed, uppercase and single-spaced; "
    "unique among live vehicles",
    examples=["品川 300 あ 12-34"],
)


class VehicleFields(Input):
    """Optional vehicle attributes shared by create and update."""

    serial: str | None = Field(default=None, max_length=200)
    remote_id: str | None = RemoteId
    registration_mark: str | None = RegistrationMark
    plate: str | None = Plate

    @field_validator("registration_mark", "remote_id", "plate")
    @classmethod
    def _identifier(cls, value: str | None, info: ValidationInfo) -> str | None:
        """An identifier in its form (the reason names the form), then normalised."""
        if value is None or info.field_name is None:
            return value
        try:
            return identifiers.check(info.field_name, value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    length_m: float | None = Dimension
    width_m: float | None = Dimension
    height_m: float | None = Dimension
    climb_rate_mps: float | None = Rate
    descent_rate_mps: float | None = Rate
    altitude_lower_m: float | None = Altitude
    altitude_upper_m: float | None = Altitude


def _identifiers_by_kind(schema: dict[str, Any]) -> None:
    """State in the schema which identifiers each kind carries (``IDENTIFIER_KINDS``): for a
    body naming a kind, the identifiers it does not carry are absent or null."""
    rules = schema.setdefault("allOf", [])
    for kind in typing.get_args(Kind):
        absent = {f: {"type": "null"} for f, kinds in IDENTIFIER_KINDS.items() if kind not in kinds}
        named = {"properties": {"kind": {"const": kind}}, "required": ["kind"]}
        rules.append({"if": named, "then": {"properties": absent}})


class VehicleCreate(VehicleFields):
    """A new vehicle; an operator or fleet principal's own operator is implied. Each kind
    carries only its own identifiers (a car no registration mark, a drone no plate)."""

    model_config = ConfigDict(json_schema_extra=_identifiers_by_kind)

    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    kind: Kind
    max_speed_mps: float = Speed
    airways_only: StrictBool = Field(
        default=False, description="the vehicle must keep to the airways (drones)"
    )
    operator_id: uuid.UUID | None = Field(
        default=None,
        description="the owner: required for an admin of no operator (an admin of an operator "
        "defaults to it); operator and fleet principals own what they register",
    )


NOT_NULL_ON_UPDATE = ("name", "kind", "max_speed_mps", "status", "airways_only")
"""Fields an update may leave out (unchanged) but not set to null."""


def _not_null(schema: dict[str, Any], fields: tuple[str, ...]) -> None:
    """The schema of ``fields`` without the null branch their ``X | None`` type gives."""
    for name in fields:
        prop = schema["properties"][name]
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            prop.update(branches[0])
        elif branches:
            prop["anyOf"] = branches
        if prop.get("default", ...) is None:
            del prop["default"]


def _update_schema(schema: dict[str, Any]) -> None:
    """An update's schema: no null where a field may only be left out, and, when the update
    names a kind, only that kind's identifiers (otherwise the stored kind decides)."""
    _not_null(schema, NOT_NULL_ON_UPDATE)
    _identifiers_by_kind(schema)


class VehicleUpdate(VehicleFields):
    """A partial update: only the fields present change."""

    model_config = ConfigDict(json_schema_extra=_update_schema)

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"\S")
    kind: Kind | None = None
    max_speed_mps: float | None = Field(default=None, gt=0, le=1000)
    status: Literal["active", "maintenance"] | None = None
    airways_only: StrictBool | None = Field(
        default=None, description="the vehicle must keep to the airways (drones)"
    )


class AltitudeBand(BaseModel):
    """An altitude band in metres above the WGS84 ellipsoid."""

    lower: float
    upper: float
    datum: Datum = "W84"
    default: bool = Field(description="the vehicle kind's default band (the vehicle sets none)")


class VehicleOut(BaseModel):
    """A vehicle as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    operator_id: uuid.UUID
    name: str
    kind: Kind
    status: Status
    max_speed_mps: float
    serial: str | None
    remote_id: str | None
    registration_mark: str | None
    plate: str | None
    length_m: float | None
    width_m: float | None
    height_m: float | None
    climb_rate_mps: float | None
    descent_rate_mps: float | None
    altitude_lower_m: float | None
    altitude_upper_m: float | None
    altitude_datum: Datum = "W84"
    airways_only: bool = False
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def altitude_band(self) -> AltitudeBand:
        """The band the planner keeps the vehicle in: its own bounds, else its kind's
        defaults (robots and cars: always the ground band)."""
        lower, upper = DEFAULT_ALTITUDE_BANDS[self.kind]
        own = self.kind == "drone"
        if own and self.altitude_lower_m is not None:
            lower = self.altitude_lower_m
        if own and self.altitude_upper_m is not None:
            upper = self.altitude_upper_m
        unset = self.altitude_lower_m is None and self.altitude_upper_m is None
        return AltitudeBand(lower=lower, upper=upper, default=not own or unset)


class RetiredVehicleOut(VehicleOut):
    """A vehicle just retired, and the reservations the retirement cancelled."""

    cancelled_reservations: list[uuid.UUID] = Field(
        default_factory=list, description="its reservations that had not ended, now cancelled"
    )


class VehiclePage(Page[VehicleOut]):
    """A page of vehicles, oldest first."""


class PositionIn(Input):
    """A position report."""

    time: Instant = Field(description="RFC 3339 with a time zone")
    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    alt_m: float = Field(ge=-10_000, le=100_000, description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = "W84"
    speed_mps: float | None = Field(default=None, ge=0, le=1000)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)


class PositionOut(BaseModel):
    """A stored position report with its spatial ID."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    vehicle_id: uuid.UUID
    time: datetime
    received_at: datetime
    lng: float
    lat: float
    alt_m: float
    altitude_datum: Datum = "W84"
    speed_mps: float | None
    heading_deg: float | None
    spatial_id: str = Field(validation_alias="voxel")
    spatial_id_zoom: int = 25
    reservation_id: uuid.UUID | None = Field(
        default=None, description="the live reservation covering the report's time"
    )
    conforming: bool | None = Field(
        default=None, description="inside that reservation (null: no reservation to check)"
    )
