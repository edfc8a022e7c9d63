"""Bodies of the occupancy query and answer."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from api.schemas import INPUT_DATUM_DOC, AnyGeometry, Datum, Input, InputDatum, Instant

AGGREGATE_DOC = "`h3:<res>` (H3 cells, 0..15) or `zoom:<z>` (coarser voxels, z <= zoom)"
Zoom = Field(default=20, ge=0, le=25, description="zoom of the answered voxels (0..25)")


class OccupancyQuery(Input):
    """A region (a GeoJSON polygon with an altitude band, or spatial IDs) and a window."""

    geometry: AnyGeometry | None = Field(default=None, description="GeoJSON geometry")
    spatial_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=100_000, description="z/f/x/y, any zoom"
    )
    alt_lower: float = Field(default=0.0, ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    alt_upper: float = Field(default=150.0, ge=-(2**25), le=2**25, description=INPUT_DATUM_DOC)
    altitude_datum: InputDatum = "W84"
    time_start: Instant | None = Field(default=None, description="default: now")
    time_end: Instant | None = Field(default=None, description="default: start + 1 h")
    zoom: int = Zoom
    aggregate: str | None = Field(default=None, description=AGGREGATE_DOC)

    @model_validator(mode="after")
    def _one_region(self) -> OccupancyQuery:
        if (self.geometry is None) == (self.spatial_ids is None):
            raise ValueError("give exactly one of geometry or spatial_ids")
        return self


class OwnerOut(BaseModel):
    """Who occupies a cell (shown to municipalities and admins only)."""

    kind: Literal["reservation", "restriction", "obstacle"]
    id: uuid.UUID
    operator_id: uuid.UUID | None = None
    operator_name: str | None = None


class KindCounts(BaseModel):
    """Distinct reservations, restrictions and obstacles."""

    reservation: int
    restriction: int
    obstacle: int


class CellOut(BaseModel):
    """An occupied cell: a spatial ID (or an H3 cell when aggregated by H3)."""

    id: str
    count: int = Field(description="distinct items of every kind")
    kinds: KindCounts
    owners: list[OwnerOut] | None = Field(
        default=None, description="null unless the caller is a municipality or an admin"
    )


class OccupancyOut(BaseModel):
    """Occupied cells of the region in the window."""

    zoom: int
    aggregate: str | None
    time_start: AwareDatetime
    time_end: AwareDatetime
    alt_lower: float | None
    alt_upper: float | None
    altitude_datum: Datum = "W84"
    region_voxels: int = Field(description="voxels of the query region at `zoom`")
    count: int = Field(description="number of occupied cells")
    totals: KindCounts = Field(description="distinct items meeting the region in the window")
    cells: list[CellOut]
