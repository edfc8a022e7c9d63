"""Airways: store, list, read and remove drone corridors.

Admins declare airways anywhere; a municipality only inside its jurisdiction (every line
of an import, as restrictions, :func:`registry.services.authority.require_governs`).
Everyone may read them (operators must know where they may fly). An import is all or
nothing: one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, MultiLineString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.errors import Forbidden, InvalidFields, NotFound
from registry.importers.parsers.airways import AirwayErrors, ParsedAirway, parse_airways
from registry.models import OVERSIGHT_ROLES, Airway, Principal
from registry.services.authority import require_governs
from registry.services.paging import Page, keyset_page


def parse(doc: Any) -> list[ParsedAirway]:
    """The airways of a GeoJSON document; ``InvalidFields`` naming every problem."""
    try:
        return parse_airways(doc)
    except AirwayErrors as exc:
        raise InvalidFields(str(exc), errors=exc.errors) from None


def check_may_declare(actor: Principal) -> None:
    """Forbidden unless ``actor`` may declare airways at all (admins and municipalities)."""
    if actor.role not in OVERSIGHT_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot declare airways")


def create_airways(
    *, session: Session, actor: Principal | None, airways: Sequence[ParsedAirway]
) -> list[Airway]:
    """Store parsed airways (see :func:`registry.importers.parsers.airways.parse_airways`);
    ``actor`` None is the command line (trusted, no principal recorded)."""
    if actor is not None:
        check_may_declare(actor)
    if not airways:
        return []
    if actor is not None:
        every = MultiLineString([a.coords for a in airways])
        require_governs(
            session=session, actor=actor, geometry=from_shape(every, srid=4326), what="the airways"
        )
    items = [
        Airway(
            id=uuid.uuid4(),
            principal_id=actor.id if actor is not None else None,
            name=a.name,
            geometry=from_shape(LineString(a.coords), srid=4326),
            width_m=a.width_m,
            altitude_lower_m=a.altitude_lower_m,
            altitude_upper_m=a.altitude_upper_m,
            direction=a.direction,
        )
        for a in airways
    ]
    session.add_all(items)
    session.flush()
    return items


def get_airway(*, session: Session, airway_id: uuid.UUID) -> Airway:
    """One airway (they are public)."""
    item = session.get(Airway, airway_id)
    if item is None:
        raise NotFound(f"airway {airway_id} not found")
    return item


def list_airways(
    *,
    session: Session,
    mine: Principal | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[Airway]:
    """Airways, oldest first (those of one import by id); ``mine`` keeps only those a
    principal declared."""
    query = select(Airway)
    if mine is not None:
        query = query.where(Airway.principal_id == mine.id)
    keys = (Airway.created_at, Airway.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def delete_airway(*, session: Session, actor: Principal, airway_id: uuid.UUID) -> Airway:
    """Remove an airway: admins any, a municipality those it declared inside its area.

    Reservations already made along it stay (they hold their voxels as any route does)."""
    if actor.role not in OVERSIGHT_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot remove airways")
    item = get_airway(session=session, airway_id=airway_id)
    if not actor.is_admin and item.principal_id != actor.id:
        raise Forbidden(f"airway {airway_id} was declared by another principal")
    require_governs(
        session=session, actor=actor, geometry=item.geometry, what=f"airway {airway_id}"
    )
    session.delete(item)
    session.flush()
    return item


def airways_near(
    *, session: Session, bounds: tuple[float, float, float, float], limit: int = 20_000
) -> list[Airway]:
    """Airways whose centre line meets ``(west, south, east, north)``, at most ``limit``."""
    box = func.ST_MakeEnvelope(*bounds, 4326)
    query = select(Airway).where(func.ST_Intersects(Airway.geometry, box)).limit(limit)
    return list(session.scalars(query.order_by(Airway.created_at, Airway.id)))
