"""Blockers (restrictions, obstacles) as boxes, placed race-free against reservations.

Why the two orders make a race impossible under READ COMMITTED:

- A reservation transaction INSERTs its boxes into ``reservation_boxes`` first (taking
  ROW EXCLUSIVE on that table) and only THEN queries ``blocker_boxes``.
- A blocker transaction first takes ``LOCK TABLE reservation_boxes IN SHARE MODE``,
  which conflicts with ROW EXCLUSIVE, then inserts its blocker boxes and then queries
  ``reservation_boxes``.

If the reservation inserted first, the lock waits until that transaction ends; the
blocker's later query takes a fresh snapshot and sees the committed boxes, so the
reservation is reported (and marked ``needs_replan``, its cause recorded: see
:mod:`registry.boxes.replans`). If the lock came first, the
reservation's insert waits until the blocker commits; its later query of
``blocker_boxes`` takes a fresh snapshot, sees the blocker and refuses with 409. Either
way one side sees the other; neither can miss it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import MultiPolygon
from sqlalchemy.orm import Session

from registry.boxes import overlap, replans
from registry.boxes.leaf import auto_zoom, geometry_to_boxes, with_exact_band
from registry.errors import InvalidInput


def polygon(geometry: dict[str, Any], *, field: str = "geometry") -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon as a valid shapely MultiPolygon."""
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise InvalidInput(f"invalid GeoJSON geometry: {exc}", field=field) from None
    if geom.geom_type == "Polygon":
        geom = MultiPolygon([geom])
    if geom.geom_type != "MultiPolygon" or geom.is_empty:
        raise InvalidInput(f"expected a Polygon or MultiPolygon, got {geom.geom_type}", field=field)
    if not geom.is_valid:
        raise InvalidInput(f"invalid polygon: {shapely.is_valid_reason(geom)}", field=field)
    west, south, east, north = geom.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise InvalidInput(
            "coordinates must be longitude -180..180 and latitude -90..90 (degrees)", field=field
        )
    assert isinstance(geom, MultiPolygon)
    return geom


def cover(
    geometry: dict[str, Any], lower: float, upper: float, zoom: int | None, budget: int
) -> tuple[Any, int]:
    """Leaf boxes covering a footprint at ``zoom`` (or the finest that fits) and exactly the
    band up and down: ``x, y`` at that zoom, ``f`` at leaf precision (1 m, every leaf voxel
    the band touches), so a coarse zoom never rounds the vertical extent out."""
    if upper <= lower:
        raise InvalidInput("altitude_upper must be above altitude_lower", field="altitude_upper")
    if zoom is not None:
        rows = geometry_to_boxes(geometry, zoom, lower, upper, max_voxels=budget, field="geometry")[
            0
        ]
        return with_exact_band(rows, lower, upper), zoom
    z = auto_zoom(geometry, lower, upper, budget)
    while True:
        try:
            rows, _ = geometry_to_boxes(
                geometry, z, lower, upper, max_voxels=budget, field="geometry"
            )
            return with_exact_band(rows, lower, upper), z
        except InvalidInput:
            if z <= 1:
                raise
            z -= 1


@dataclass
class Placement:
    """Blocker boxes being placed under the lock; ``hit`` is set when the block ends."""

    session: Session
    column: str
    owner_ids: set[uuid.UUID] = field(default_factory=set)
    hit: list[uuid.UUID] = field(default_factory=list)

    def add(self, owners: Sequence[uuid.UUID], probe: overlap.Probe) -> None:
        """Insert one box per probe row, owned by ``owners`` at the same index."""
        overlap.insert_blocker_boxes(
            session=self.session, column=self.column, owners=owners, probe=probe
        )
        self.owner_ids.update(owners)


@contextmanager
def placing(*, session: Session, column: str) -> Iterator[Placement]:
    """The protocol of the module doc: lock ``reservation_boxes``, let the block insert
    (and delete) blocker boxes, then mark the reservations under the added boxes for
    re-plan (``Placement.hit``, sorted). Nothing is marked when the block raises."""
    overlap.lock_reservation_boxes(session=session)
    placed = Placement(session, column)
    yield placed
    placed.hit = mark_replans(session=session, column=column, owner_ids=sorted(placed.owner_ids))


def mark_replans(
    *, session: Session, column: str, owner_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Mark the live reservations under these blockers' active boxes for re-plan, each
    with these blockers recorded as its causes."""
    return replans.record(session=session, column=column, owner_ids=owner_ids)


def place(
    *,
    session: Session,
    column: str,
    owner_id: uuid.UUID,
    rows: Any,
    start: datetime | None,
    end: datetime | None,
) -> list[uuid.UUID]:
    """Lock, insert one blocker's boxes, and mark the reservations under them for re-plan."""
    with placing(session=session, column=column) as placed:
        placed.add(
            [owner_id] * len(rows), overlap.Probe(rows, [start] * len(rows), [end] * len(rows))
        )
    return placed.hit
