"""Box queries: insert boxes, and find what overlaps what (GiST-indexed range overlap)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes import booking_sql
from registry.boxes import probe_sql as sql
from registry.models import Reservation

_HIT = sql.meets("b", sql.M, sql.M_WINDOW)
_MEET = f"""{sql.clip("b", sql.M)},
    greatest(lower(b.during), m.t0), least(upper(b.during), m.t1)"""


@dataclass(frozen=True)
class Probe:
    """Leaf boxes ``(n, 6)`` with one time window each, and the zoom to report IDs at."""

    rows: np.ndarray
    t0: list[datetime] | list[datetime | None]
    t1: list[datetime] | list[datetime | None]

    def params(self) -> dict[str, Any]:
        """Bind parameters for the ``unnest`` of the probes."""
        out: dict[str, Any] = {c: self.rows[:, k].tolist() for k, c in enumerate(sql.SPACE)}
        return {**out, "t0": self.t0, "t1": self.t1}


@dataclass(frozen=True)
class Hit:
    """The intersection of a probe box (index ``i``) with a stored box of ``owner``."""

    i: int
    owner: uuid.UUID
    priority: int
    box: tuple[int, int, int, int, int, int]
    start: datetime
    end: datetime


_BLOCKER_HITS = text(
    f"""SELECT 0, coalesce(b.restriction_id, b.obstacle_id), 0, {sql.clip("b", sql.ranges("r"))},
                lower(b.during * r.during), upper(b.during * r.during)
            FROM reservation_boxes r
            JOIN blocker_boxes b ON {sql.meets("b", sql.ranges("r"), "r.during")}
            WHERE r.reservation_id = :rid AND r.active
                AND (:obstacles OR b.obstacle_id IS NULL) ORDER BY b.id LIMIT :limit"""
)


def insert_reservation(
    *,
    session: Session,
    reservation: Reservation,
    volumes_json: str,
    probe: Probe,
    obstacles: bool = True,
) -> tuple[datetime, datetime, int, bool] | None:
    """Insert a new (transient) reservation with its volumes and boxes in one round trip:
    its timestamps, the number of boxes stored (fewer than the probe's: overlap, roll
    back) and whether a stored box meets an active restriction (or obstacle, with
    ``obstacles``); None when a live reservation of its vehicle overlaps it in time
    (nothing stored). See :mod:`registry.boxes.booking_sql`."""
    values = {c: getattr(reservation, c) for c in booking_sql.RESERVATION_COLUMNS}
    values["geometry"] = bytes(reservation.geometry.data)
    row = session.execute(
        booking_sql.INSERT_RESERVATION,
        {**probe.params(), **values, "docs": volumes_json, "obstacles": obstacles},
    ).first()
    return None if row is None else (row[0], row[1], int(row[2]), bool(row[3]))


def insert_hold(
    *,
    session: Session,
    reservation: Reservation,
    held_for: uuid.UUID,
    volumes_json: str,
    probe: Probe,
) -> tuple[int, bool]:
    """Insert a re-plan proposal's hold (a transient ``held`` reservation) with its volumes
    and boxes, which never exclude those of ``held_for``: the number of boxes stored (fewer
    than the probe's: overlap, roll back) and whether one meets a blocker."""
    values = {c: getattr(reservation, c) for c in booking_sql.RESERVATION_COLUMNS}
    values["geometry"] = bytes(reservation.geometry.data)
    row = session.execute(
        booking_sql.INSERT_HOLD,
        {**probe.params(), **values, "docs": volumes_json, "obstacles": True, "held_for": held_for},
    ).one()
    return int(row[0]), bool(row[1])


def replace_contents(
    *, session: Session, reservation_id: uuid.UUID, priority: int, volumes_json: str, probe: Probe
) -> int:
    """Delete a reservation's volumes and boxes and insert new ones (in the caller's
    transaction, whose rollback brings the old ones back); the number of boxes stored
    (fewer than the probe's: overlap, roll back)."""
    session.execute(booking_sql.DROP_CONTENTS, {"id": reservation_id})
    row = session.execute(
        booking_sql.INSERT_CONTENTS,
        {**probe.params(), "id": reservation_id, "priority": priority, "docs": volumes_json},
    ).one()
    return int(row[0])


def insert_blocker_boxes(
    *, session: Session, column: str, owners: Sequence[uuid.UUID], probe: Probe
) -> None:
    """Insert blocker boxes, one per probe row, each of the restriction or obstacle in
    ``owners`` at its index (``column`` names which); a missing window is unbounded."""
    assert column in ("restriction_id", "obstacle_id")
    assert len(owners) == len(probe.rows)
    session.execute(
        text(
            f"""INSERT INTO blocker_boxes ({column}, x, y, f, during)
            SELECT m.o, {sql.insert_ranges()},
                tstzrange(coalesce(m.t0, '-infinity'), coalesce(m.t1, 'infinity'))
            FROM {sql.unnest(times=True, owners=True)}"""
        ),
        {**probe.params(), "o": list(owners)},
    )


def reservation_owners(*, session: Session, probe: Probe) -> dict[uuid.UUID, int]:
    """Active reservations overlapping any probe box, with their priority."""
    rows = session.execute(
        text(
            f"""SELECT DISTINCT b.reservation_id, b.priority FROM {sql.PROBES}
            JOIN reservation_boxes b ON {_HIT}"""
        ),
        probe.params(),
    )
    return {r[0]: r[1] for r in rows}


def reservation_hits(
    *,
    session: Session,
    probe: Probe,
    min_priority: int = 0,
    limit: int = 100,
    exclude: uuid.UUID | None = None,
) -> list[Hit]:
    """Intersections of the probe with active reservation boxes of at least
    ``min_priority``, other than those of reservation ``exclude``."""
    rows = session.execute(
        text(
            f"""SELECT m.i, b.reservation_id, b.priority, {_MEET} FROM {sql.PROBES}
            JOIN reservation_boxes b ON {_HIT} AND b.priority >= :minp
                AND b.reservation_id IS DISTINCT FROM CAST(:ex AS uuid)
            ORDER BY m.i, b.id LIMIT :limit"""
        ),
        {**probe.params(), "minp": min_priority, "limit": limit, "ex": exclude},
    )
    return [Hit(int(r[0]) - 1, r[1], r[2], tuple(r[3:9]), r[9], r[10]) for r in rows]


def blocker_hits(
    *, session: Session, reservation_id: uuid.UUID, obstacles: bool = True, limit: int = 100
) -> list[Hit]:
    """Intersections of a reservation's active boxes with active blockers (restrictions,
    and obstacles unless ``obstacles`` is false: ground vehicles drive between buildings)."""
    rows = session.execute(
        _BLOCKER_HITS,
        {"rid": reservation_id, "obstacles": obstacles, "limit": limit},
    )
    return [Hit(r[0], r[1], r[2], tuple(r[3:9]), r[9], r[10]) for r in rows]


def reservations_under_blocker(
    *, session: Session, column: str, owner_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Active reservations overlapping the active boxes of these restrictions or obstacles."""
    assert column in ("restriction_id", "obstacle_id")
    rows = session.scalars(
        text(
            f"""SELECT DISTINCT r.reservation_id FROM unnest(CAST(:oids AS uuid[])) AS o(id)
            JOIN blocker_boxes b ON b.{column} = o.id AND b.active
            JOIN reservation_boxes r ON {sql.meets("r", sql.ranges("b"), "b.during")}
            ORDER BY 1"""
        ),
        {"oids": list(owner_ids)},
    )
    return list(rows)


def lock_reservation_boxes(*, session: Session) -> None:
    """SHARE lock: wait for in-flight reservation writes; block new ones until commit."""
    session.execute(text("LOCK TABLE reservation_boxes IN SHARE MODE"))


def set_active(
    *, session: Session, table: str, column: str, ids: list[uuid.UUID], active: bool
) -> None:
    """Switch the boxes of the given owners on or off."""
    assert (table, column) in (
        ("reservation_boxes", "reservation_id"),
        ("blocker_boxes", "restriction_id"),
        ("blocker_boxes", "obstacle_id"),
    )
    session.execute(
        text(f"UPDATE {table} SET active = :a WHERE {column} = ANY(:ids)"),
        {"a": active, "ids": ids},
    )
