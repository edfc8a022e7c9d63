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


_VOLUMES = """jsonb_array_elements(CAST(:docs AS jsonb)) WITH ORDINALITY AS d(doc, n)"""
RESERVATION_COLUMNS = (
    "id", "principal_id", "operator_id", "vehicle_id", "priority", "state", "version",
    "needs_replan", "time_start", "time_end", "geometry", "reason", "idempotency_key",
    "request_hash",
)  # fmt: skip
"""The columns a reservation insert writes, each from the ORM object's attribute of the
same name (``created_at`` and ``updated_at`` are the database's)."""
_RESERVATION_VALUES = ", ".join(
    "ST_GeomFromWKB(:geometry, 4326)" if c == "geometry" else f":{c}" for c in RESERVATION_COLUMNS
)
_INSERT_VOLUMES = f"""INSERT INTO reservation_volumes (reservation_id, ordinal, time_start,
        time_end, zoom, spatial_ids, geometry, altitude_lower_m, altitude_upper_m)
    SELECT :id, (d.n - 1)::int, (d.doc->>'time_start')::timestamptz,
        (d.doc->>'time_end')::timestamptz, (d.doc->>'zoom')::int,
        CASE WHEN jsonb_typeof(d.doc->'spatial_ids') = 'array' THEN ARRAY(
            SELECT e.t FROM jsonb_array_elements_text(d.doc->'spatial_ids')
                WITH ORDINALITY AS e(t, k) ORDER BY e.k) END,
        nullif(d.doc->'geometry', 'null'::jsonb),
        (d.doc->>'altitude_lower_m')::float8, (d.doc->>'altitude_upper_m')::float8
    FROM {_VOLUMES}"""
_INSERT_BOXES = f"""INSERT INTO reservation_boxes (reservation_id, x, y, f, during, priority)
    SELECT :id, {sql.insert_ranges()}, {sql.M_WINDOW}, :priority FROM {sql.PROBES}
    ON CONFLICT DO NOTHING RETURNING 1"""
INSERT_RESERVATION_SQL = f"""WITH r AS (
    INSERT INTO reservations ({", ".join(RESERVATION_COLUMNS)})
    VALUES ({_RESERVATION_VALUES})
    RETURNING created_at, updated_at
), v AS ({_INSERT_VOLUMES}
), b AS ({_INSERT_BOXES}
)
SELECT created_at, updated_at, (SELECT count(*) FROM b) FROM r"""
"""The reservation row, its volumes (a JSON array) and its boxes in one statement.

Foreign keys are checked at the end of the statement, when the reservation row exists.
The exclusion constraint judges the boxes as always: ``ON CONFLICT DO NOTHING`` makes it
skip (after waiting for an in-flight overlapping transaction to end, like a plain insert)
a box that overlaps an active one instead of aborting the transaction, so the caller can
tell from the count that it lost, report the conflicts and roll back, without a savepoint."""


_INSERT_RESERVATION = text(INSERT_RESERVATION_SQL)  # built once: text() parses the SQL
_DROP_CONTENTS = text(
    """WITH b AS (DELETE FROM reservation_boxes WHERE reservation_id = :id)
    DELETE FROM reservation_volumes WHERE reservation_id = :id"""
)
_INSERT_CONTENTS = text(
    f"""WITH v AS ({_INSERT_VOLUMES}
), b AS ({_INSERT_BOXES}
)
SELECT count(*) FROM b"""
)
"""New volumes and boxes of an existing reservation (after ``_DROP_CONTENTS`` in an
earlier statement: sub-statements of one statement run in no fixed order, so the
exclusion constraint could still see the old boxes)."""
_BLOCKER_HITS = text(
    f"""SELECT 0, coalesce(b.restriction_id, b.obstacle_id), 0, {sql.clip("b", sql.ranges("r"))},
                lower(b.during * r.during), upper(b.during * r.during)
            FROM reservation_boxes r
            JOIN blocker_boxes b ON {sql.meets("b", sql.ranges("r"), "r.during")}
            WHERE r.reservation_id = :rid AND r.active
                AND (:obstacles OR b.obstacle_id IS NULL) ORDER BY b.id LIMIT :limit"""
)


def insert_reservation(
    *, session: Session, reservation: Reservation, volumes_json: str, probe: Probe
) -> tuple[datetime, datetime, int]:
    """Insert a new (transient) reservation with its volumes and boxes in one round trip;
    its timestamps and the number of boxes stored (fewer than the probe's: overlap, roll
    back)."""
    values = {c: getattr(reservation, c) for c in RESERVATION_COLUMNS}
    values["geometry"] = bytes(reservation.geometry.data)
    row = session.execute(
        _INSERT_RESERVATION, {**probe.params(), **values, "docs": volumes_json}
    ).one()
    return row[0], row[1], int(row[2])


def replace_contents(
    *, session: Session, reservation_id: uuid.UUID, priority: int, volumes_json: str, probe: Probe
) -> int:
    """Delete a reservation's volumes and boxes and insert new ones (in the caller's
    transaction, whose rollback brings the old ones back); the number of boxes stored
    (fewer than the probe's: overlap, roll back)."""
    session.execute(_DROP_CONTENTS, {"id": reservation_id})
    row = session.execute(
        _INSERT_CONTENTS,
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
