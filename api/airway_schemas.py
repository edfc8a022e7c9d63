"""Request and response bodies of the airways endpoints.

The import body is read as plain JSON and checked by
:func:`registry.importers.parsers.airways.parse_airways` (so every problem names its field
as ``features[3].properties.width_m``); :data:`IMPORT_SCHEMA` documents it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.reservation_schemas import geometry_json
from api.schemas import Datum, Page
from registry.importers.parsers.airways import (
    ALTITUDE_RANGE_M,
    MAX_FEATURES,
    MAX_VERTICES,
    MAX_WIDTH_M,
)

_POSITION = {
    "type": "array",
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},
        {"type": "number", "minimum": -85.05, "maximum": 85.05},
    ],
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 3,
}
_LINE = {"type": "array", "items": _POSITION, "minItems": 2, "maxItems": MAX_VERTICES}
_ALTITUDE = {"type": "number", "minimum": ALTITUDE_RANGE_M[0], "maximum": ALTITUDE_RANGE_M[1]}
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "geometry": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {"type": {"const": "LineString"}, "coordinates": _LINE},
                },
                {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"const": "MultiLineString"},
                        "coordinates": {"type": "array", "items": _LINE, "minItems": 1},
                    },
                },
            ]
        },
        "properties": {
            "type": "object",
            "required": ["width_m", "altitude_lower_m", "altitude_upper_m"],
            "properties": {
                "width_m": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_WIDTH_M},
                "altitude_lower_m": _ALTITUDE,
                "altitude_upper_m": _ALTITUDE,
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "direction": {"enum": ["both", "forward"], "default": "both"},
            },
        },
    },
}
IMPORT_SCHEMA: dict[str, Any] = {
    "description": "a GeoJSON FeatureCollection of airway centre lines, or one Feature; "
    "altitudes in metres above the WGS84 ellipsoid (W84), altitude_lower_m < "
    "altitude_upper_m; each line at most 500 km",
    "oneOf": [
        {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {
                    "type": "array",
                    "items": FEATURE_SCHEMA,
                    "minItems": 1,  # no maxItems: 1,001 features outgrow the body limit (413)
                    "description": f"at most {MAX_FEATURES} features (and the body at most "
                    "KUKAN_MAX_BODY_BYTES): more is a 422 naming `features`",
                },
            },
        },
        FEATURE_SCHEMA,
    ],
}


class AirwayOut(BaseModel):
    """An airway: its centre line, width, altitude band and direction."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    principal_id: uuid.UUID | None = Field(description="who declared it (null: the CLI)")
    name: str | None
    geometry: dict[str, Any] = Field(description="GeoJSON LineString (the centre line)")
    width_m: float
    altitude_lower_m: float
    altitude_upper_m: float
    altitude_datum: Datum = "W84"
    direction: Literal["both", "forward"]
    created_at: datetime

    @field_validator("geometry", mode="before")
    @classmethod
    def _geojson(cls, value: Any) -> Any:
        return geometry_json(value)


class AirwayPage(Page[AirwayOut]):
    """A page of airways, oldest first."""


class AirwayImported(BaseModel):
    """The airways an import stored (a MultiLineString gives one per part)."""

    items: list[AirwayOut]
