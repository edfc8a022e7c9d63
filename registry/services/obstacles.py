"""Static obstacles (buildings, masts, terrain): volumes no reservation may enter."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from geoalchemy2.shape import from_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.boxes import blockers, overlap, replans
from registry.errors import Forbidden, InvalidInput, NotFound
from registry.models import Obstacle, Principal
from registry.services.integrity import integrity_as_domain
from registry.services.paging import Page, keyset_page


class PlacedObstacle(NamedTuple):
    """An obstacle as stored, and the active reservations it now overlaps (marked
    ``needs_replan``)."""

    obstacle: Obstacle
    needs_replan: list[uuid.UUID]


def create_obstacle(
    *,
    session: Session,
    actor: Principal | None,
    geometry: dict[str, Any],
    height_m: float,
    min_height_m: float = 0.0,
    source: str = "api",
    source_ref: str | None = None,
    kind: str = "building",
    name: str | None = None,
    zoom: int | None = None,
    max_voxels: int = 100_000,
) -> PlacedObstacle:
    """Add an obstacle (admins; importers pass ``actor=None``); report reservations in it."""
    if actor is not None and not actor.is_admin:
        raise Forbidden(f"a principal with role {actor.role!r} cannot add obstacles")
    if height_m <= min_height_m:
        raise InvalidInput("height_m must be above min_height_m", field="height_m")
    shape = blockers.polygon(geometry)
    rows, z = blockers.cover(geometry, min_height_m, height_m, zoom, max_voxels)
    item = Obstacle(
        principal_id=actor.id if actor else None,
        source=source,
        source_ref=source_ref or str(uuid.uuid4()),
        kind=kind,
        name=name,
        geometry=from_shape(shape, srid=4326),
        min_height_m=min_height_m,
        height_m=height_m,
        zoom=z,
        active=True,
    )
    with integrity_as_domain(session, what=f"obstacle {source}/{source_ref}"):
        session.add(item)
    hit = blockers.place(
        session=session, column="obstacle_id", owner_id=item.id, rows=rows, start=None, end=None
    )
    return PlacedObstacle(item, hit)


def get_obstacle(*, session: Session, obstacle_id: uuid.UUID) -> Obstacle:
    """Any obstacle (public)."""
    item = session.get(Obstacle, obstacle_id)
    if item is None:
        raise NotFound(f"obstacle {obstacle_id} not found")
    return item


def list_obstacles(
    *, session: Session, source: str | None = None, limit: int = 50, after: str | None = None
) -> Page[Obstacle]:
    """Active obstacles, oldest first, optionally from one source."""
    query = select(Obstacle).where(Obstacle.active.is_(True))
    if source is not None:
        query = query.where(Obstacle.source == source)
    keys = (Obstacle.created_at, Obstacle.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def delete_obstacle(*, session: Session, actor: Principal, obstacle_id: uuid.UUID) -> Obstacle:
    """Deactivate an obstacle (admins); its space is free at once."""
    if not actor.is_admin:
        raise Forbidden(f"a principal with role {actor.role!r} cannot remove obstacles")
    item = get_obstacle(session=session, obstacle_id=obstacle_id)
    item.active = False
    overlap.set_active(
        session=session, table="blocker_boxes", column="obstacle_id", ids=[item.id], active=False
    )
    replans.recheck(session=session, column="obstacle_id", owner_ids=[item.id])
    session.flush()
    return item
