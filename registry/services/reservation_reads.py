"""Reading reservations: one, a filtered page, and their volumes, as the actor may see them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.boxes.bbox import BBox
from registry.errors import NotFound
from registry.models import (
    Principal,
    Reservation,
    ReservationVolume,
)
from registry.services import lifecycle
from registry.services.paging import Page, keyset_page


def _visible(query: Any, actor: Principal | None) -> Any:
    if actor is None or actor.is_admin:
        return query
    if actor.operator_id is None:
        return query.where(Reservation.principal_id == actor.id)
    return query.where(Reservation.operator_id == actor.operator_id)


def get_reservation(
    *, session: Session, actor: Principal | None, reservation_id: uuid.UUID, lock: bool = False
) -> Reservation:
    """A reservation the actor may see; another operator's is NotFound."""
    query = _visible(select(Reservation).where(Reservation.id == reservation_id), actor)
    if lock:  # locked, and read afresh even when the session already holds the row
        query = query.with_for_update().execution_options(populate_existing=True)
    res = session.scalar(query)
    if res is None:
        raise NotFound(f"reservation {reservation_id} not found")
    return res


def list_reservations(
    *,
    session: Session,
    actor: Principal | None,
    state: str | None = None,
    needs_replan: bool | None = None,
    time_start: datetime | None = None,
    time_end: datetime | None = None,
    bbox: BBox | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[Reservation]:
    """Visible reservations, oldest first, filtered by state (as read: see
    :mod:`registry.services.lifecycle`), the re-plan flag, time window and bbox."""
    query = _visible(select(Reservation), actor)
    if state is not None:
        query = query.where(lifecycle.state_is(state))
    else:  # a re-plan proposal's hold is listed only when asked for
        query = query.where(Reservation.state != "held")
    if needs_replan is not None:
        query = query.where(lifecycle.needs_replan_is(needs_replan))
    if time_start is not None:
        query = query.where(Reservation.time_end > time_start)
    if time_end is not None:
        query = query.where(Reservation.time_start < time_end)
    if bbox is not None:
        env = func.ST_MakeEnvelope(*bbox, 4326)
        query = query.where(func.ST_Intersects(Reservation.geometry, env))
    keys = (Reservation.created_at, Reservation.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def volumes_of(*, session: Session, reservation_id: uuid.UUID) -> list[ReservationVolume]:
    """The volumes of a reservation as submitted, in order."""
    query = (
        select(ReservationVolume)
        .where(ReservationVolume.reservation_id == reservation_id)
        .order_by(ReservationVolume.ordinal)
    )
    return list(session.scalars(query))


def volumes_by_reservation(
    *, session: Session, reservation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ReservationVolume]]:
    """The volumes of several reservations in one query, each list in order."""
    out: dict[uuid.UUID, list[ReservationVolume]] = {r: [] for r in reservation_ids}
    if not out:
        return out
    query = (
        select(ReservationVolume)
        .where(ReservationVolume.reservation_id.in_(list(out)))
        .order_by(ReservationVolume.reservation_id, ReservationVolume.ordinal)
    )
    for v in session.scalars(query):
        out[v.reservation_id].append(v)
    return out
