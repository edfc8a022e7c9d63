"""The ground routing graph: road nodes and edges from OpenStreetMap, with spatial IDs.

One ``road_edges`` row is one stretch of a way between two graph nodes, stored once:
``walk`` says pedestrians may use it (both ways), ``drive_forward`` / ``drive_backward``
say cars may drive from ``from_node`` to ``to_node`` / back (one-way streets set one).
Nodes and edges carry their ground-level spatial IDs (``ROAD_ZOOM``, the ``f`` of the
import's ground altitude, 0 by default). Rows belong to an import ``source``.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Identity,
    Index,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base

ROAD_ZOOM = 23
"""Zoom of the ground-level spatial IDs of road nodes and edges (about 2.4 m cells at 60°N)."""


class RoadNode(Base):
    """A node of the ground routing graph (an OSM node where ways meet or end)."""

    __tablename__ = "road_nodes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    ref: Mapped[int] = mapped_column(BigInteger)
    geometry: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    spatial_id: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("source", "ref"),)


class RoadEdge(Base):
    """A stretch of a way between two nodes, with per-mode flags and speeds."""

    __tablename__ = "road_edges"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    from_node: Mapped[int] = mapped_column(
        ForeignKey("road_nodes.id", ondelete="CASCADE"), index=True
    )
    to_node: Mapped[int] = mapped_column(
        ForeignKey("road_nodes.id", ondelete="CASCADE"), index=True
    )
    way_ref: Mapped[int] = mapped_column(BigInteger)
    highway: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    walk: Mapped[bool] = mapped_column(Boolean)
    drive_forward: Mapped[bool] = mapped_column(Boolean)
    drive_backward: Mapped[bool] = mapped_column(Boolean)
    walk_speed_mps: Mapped[float] = mapped_column(Float)
    drive_speed_mps: Mapped[float] = mapped_column(Float)
    geometry: Mapped[Any] = mapped_column(
        Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False
    )
    spatial_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))

    __table_args__ = (Index("ix_road_edges_source_way", "source", "way_ref"),)
