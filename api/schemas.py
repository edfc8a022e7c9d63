"""Request and response bodies (pydantic v2); inputs forbid unknown fields."""

from __future__ import annotations

import functools
import re
import typing
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from geojson_pydantic import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo

Kind = Literal["drone", "robot", "car"]
Status = Literal["active", "maintenance", "retired"]
Datum = Literal["W84"]
"""The datum of every altitude Kukan returns: metres above the WGS84 ellipsoid."""
DATUM_DOC = "metres above the WGS84 ellipsoid (datum W84)"
InputDatum = Annotated[
    Literal["W84", "MSL", "AGL"],
    Field(
        description="what the request's altitudes are measured from: W84 the WGS84 "
        "ellipsoid (the spatial ID datum), MSL mean sea level (geoid grid), AGL the ground "
        "(imported terrain); Kukan stores and answers W84"
    ),
]
INPUT_DATUM_DOC = "metres in `altitude_datum` (default W84, the WGS84 ellipsoid)"
Speed = Field(gt=0, le=1000, description="metres per second")
Rate = Field(default=None, ge=0, le=1000, description="metres per second")
Dimension = Field(default=None, gt=0, le=1000, description="metres")
Altitude = Field(default=None, ge=-(2**25), le=2**25, description=DATUM_DOC)
T = TypeVar("T")
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _rfc3339(value: Any) -> Any:
    """Refuse what pydantic would read as a time but RFC 3339 does not (``0.5``, ``2030-01-01``)."""
    if isinstance(value, str) and not RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone")
    if isinstance(value, int | float):
        raise ValueError("must be an RFC 3339 date-time text, not a number")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""An input instant: RFC 3339 text with seconds and a time zone (format ``date-time``)."""


def geojson(geometry: BaseModel) -> dict[str, Any]:
    """A GeoJSON model as the plain dict the services take (no null ``bbox``)."""
    out: dict[str, Any] = geometry.model_dump(mode="json", exclude_none=True)
    return out


_AS_DICT = PlainSerializer(geojson, return_type=dict[str, Any])
AnyGeometry = Annotated[
    Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon,
    Field(discriminator="type"),
    _AS_DICT,
]
"""A GeoJSON geometry (RFC 7946) other than a GeometryCollection (dumped as a plain dict)."""
Area = Annotated[Polygon | MultiPolygon, Field(discriminator="type"), _AS_DICT]
"""A GeoJSON Polygon or MultiPolygon (dumped as a plain dict)."""
Footprint = Annotated[MultiPolygon, _AS_DICT]
"""A GeoJSON MultiPolygon (dumped as a plain dict)."""


@functools.cache
def _scalar_kinds(annotation: Any) -> frozenset[Any]:
    """The plain types a field's annotation is made of (through unions and ``Annotated``)."""
    if annotation in (bool, int, float, str, type(None)):
        return frozenset({annotation})
    args = [a for a in typing.get_args(annotation) if not isinstance(a, FieldInfo)]
    if not args or typing.get_origin(annotation) in (Literal, list, tuple, dict, set):
        return frozenset({object})  # any other type: datetimes, ids, enums, models, literals
    out: frozenset[Any] = frozenset()
    for arg in args:
        out |= _scalar_kinds(arg)
    return out


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error, and so is a NUL in text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _json_kind(cls, value: Any, info: ValidationInfo) -> Any:
        """A number field takes a JSON number: not true/false, not a string of digits."""
        if not isinstance(value, (bool, str)) or info.field_name is None:
            return value
        kinds = _scalar_kinds(typing.cast(Any, cls.model_fields[info.field_name].annotation))
        if isinstance(value, bool) and bool not in kinds and kinds & {int, float}:
            raise ValueError("must be a number, not true or false")
        if isinstance(value, str) and kinds & {int, float} and kinds <= {int, float, type(None)}:
            raise ValueError("must be a number, not a string")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL (U+0000) characters")
        return value


class OperatorCreate(Input):
    """A new operator."""

    name: str = Field(min_length=1, max_length=200)


class Page(BaseModel, Generic[T]):
    """The envelope of every list: one page of items and the link to the next page.

    Lists are read with ``?limit=N`` and then by following ``next`` (it keeps the filters
    and sets the opaque cursor ``after``); rows inserted while reading do not shift pages.
    """

    items: list[T]
    next: str | None = Field(
        description="path and query of the next page (same filters and limit), null at the end"
    )


class OperatorOut(BaseModel):
    """An operator."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class OperatorPage(Page[OperatorOut]):
    """A page of operators, by name."""


class CoverRequest(Input):
    """A GeoJSON geometry and an altitude band to cover with spatial IDs."""

    geometry: AnyGeometry = Field(description="GeoJSON geometry (RFC 7946)")
    zoom: int = Field(ge=0, le=30)
    altitude_lower: float = Field(ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    altitude_upper: float = Field(ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = "W84"
    compact: StrictBool = False

    @field_validator("altitude_upper")
    @classmethod
    def _above_lower(cls, upper: float, info: ValidationInfo) -> float:
        lower = info.data.get("altitude_lower")
        if lower is not None and upper <= lower:
            raise ValueError(f"must be above altitude_lower ({lower}), got {upper}")
        return upper


class CoverResponse(BaseModel):
    """The spatial IDs covering a geometry."""

    ids: list[str]
    count: int
    zoom: int
    compact: bool
