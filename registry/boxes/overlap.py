"""Box queries: insert boxes, and find what overlaps what (GiST-indexed range overlap)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

_PROBES = """unnest(CAST(:x0 AS int4[]), CAST(:x1 AS int4[]), CAST(:y0 AS int4[]),
    CAST(:y1 AS int4[]), CAST(:f0 AS int4[]), CAST(:f1 AS int4[]),
    CAST(:t0 AS timestamptz[]), CAST(:t1 AS timestamptz[]))
    WITH ORDINALITY AS m(x0, x1, y0, y1, f0, f1, t0, t1, i)"""
_HIT = """b.active AND b.x && int4range(m.x0, m.x1) AND b.y && int4range(m.y0, m.y1)
    AND b.f && int4range(m.f0, m.f1) AND b.during && tstzrange(m.t0, m.t1)"""
_MEET = """lower(b.x * int4range(m.x0, m.x1)), upper(b.x * int4range(m.x0, m.x1)),
    lower(b.y * int4range(m.y0, m.y1)), upper(b.y * int4range(m.y0, m.y1)),
    lower(b.f * int4range(m.f0, m.f1)), upper(b.f * int4range(m.f0, m.f1)),
    greatest(lower(b.during), m.t0), least(upper(b.during), m.t1)"""


@dataclass(frozen=True)
class Probe:
    """Leaf boxes ``(n, 6)`` with one time window each, and the zoom to report IDs at."""

    rows: np.ndarray
    t0: list[datetime] | list[datetime | None]
    t1: list[datetime] | list[datetime | None]

    def params(self) -> dict[str, Any]:
        """Bind parameters for the ``unnest`` of the probes."""
        cols = ("x0", "x1", "y0", "y1", "f0", "f1")
        out: dict[str, Any] = {c: self.rows[:, k].tolist() for k, c in enumerate(cols)}
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
INSERT_RESERVATION_SQL = f"""WITH r AS (
    INSERT INTO reservations (id, principal_id, operator_id, vehicle_id, priority, state,
        version, needs_replan, time_start, time_end, geometry, idempotency_key, request_hash)
    VALUES (:rid, :pid, :oid, :vid, :priority, 'accepted', 1, false, :start, :end,
        ST_GeomFromWKB(:wkb, 4326), :ikey, :digest)
    RETURNING created_at, updated_at
), v AS (
    INSERT INTO reservation_volumes (reservation_id, ordinal, time_start, time_end, zoom,
        spatial_ids, geometry, altitude_lower_m, altitude_upper_m)
    SELECT :rid, (d.n - 1)::int, (d.doc->>'time_start')::timestamptz,
        (d.doc->>'time_end')::timestamptz, (d.doc->>'zoom')::int,
        CASE WHEN jsonb_typeof(d.doc->'spatial_ids') = 'array' THEN ARRAY(
            SELECT e.t FROM jsonb_array_elements_text(d.doc->'spatial_ids')
                WITH ORDINALITY AS e(t, k) ORDER BY e.k) END,
        nullif(d.doc->'geometry', 'null'::jsonb),
        (d.doc->>'altitude_lower_m')::float8, (d.doc->>'altitude_upper_m')::float8
    FROM {_VOLUMES}
), b AS (
    INSERT INTO reservation_boxes (reservation_id, x, y, f, during, priority)
    SELECT :rid, int4range(m.x0, m.x1), int4range(m.y0, m.y1),
        int4range(m.f0, m.f1), tstzrange(m.t0, m.t1), :priority FROM {_PROBES}
    ON CONFLICT DO NOTHING RETURNING 1
)
SELECT created_at, updated_at, (SELECT count(*) FROM b) FROM r"""
"""The reservation row, its volumes (a JSON array) and its boxes in one statement.

Foreign keys are checked at the end of the statement, when the reservation row exists.
The exclusion constraint judges the boxes as always: ``ON CONFLICT DO NOTHING`` makes it
skip (after waiting for an in-flight overlapping transaction to end, like a plain insert)
a box that overlaps an active one instead of aborting the transaction, so the caller can
tell from the count that it lost, report the conflicts and roll back, without a savepoint."""


_INSERT_RESERVATION = text(INSERT_RESERVATION_SQL)  # built once: text() parses the SQL
_BLOCKER_HITS = text(
    """SELECT 0, coalesce(b.restriction_id, b.obstacle_id), 0,
                lower(b.x * r.x), upper(b.x * r.x), lower(b.y * r.y), upper(b.y * r.y),
                lower(b.f * r.f), upper(b.f * r.f),
                lower(b.during * r.during), upper(b.during * r.during)
            FROM reservation_boxes r JOIN blocker_boxes b ON b.active
                AND b.x && r.x AND b.y && r.y AND b.f && r.f AND b.during && r.during
            WHERE r.reservation_id = :rid AND r.active
                AND (:obstacles OR b.obstacle_id IS NULL) ORDER BY b.id LIMIT :limit"""
)


def insert_reservation(
    *, session: Session, values: dict[str, Any], volumes_json: str, probe: Probe
) -> tuple[datetime, datetime, int]:
    """Insert a reservation with its volumes and boxes in one round trip; its timestamps
    and the number of boxes stored (fewer than the probe's: overlap, roll back)."""
    row = session.execute(
        _INSERT_RESERVATION, {**probe.params(), **values, "docs": volumes_json}
    ).one()
    return row[0], row[1], int(row[2])


def insert_blocker_boxes(
    *, session: Session, column: str, owner_id: uuid.UUID, probe: Probe
) -> None:
    """Insert blocker boxes of a restriction or an obstacle (``column`` names which)."""
    assert column in ("restriction_id", "obstacle_id")
    session.execute(
        text(
            f"""INSERT INTO blocker_boxes ({column}, x, y, f, during)
            SELECT :oid, int4range(m.x0, m.x1), int4range(m.y0, m.y1),
                int4range(m.f0, m.f1),
                tstzrange(coalesce(m.t0, '-infinity'), coalesce(m.t1, 'infinity')) FROM {_PROBES}"""
        ),
        {**probe.params(), "oid": owner_id},
    )


def reservation_owners(*, session: Session, probe: Probe) -> dict[uuid.UUID, int]:
    """Active reservations overlapping any probe box, with their priority."""
    rows = session.execute(
        text(
            f"""SELECT DISTINCT b.reservation_id, b.priority FROM {_PROBES}
            JOIN reservation_boxes b ON {_HIT}"""
        ),
        probe.params(),
    )
    return {r[0]: r[1] for r in rows}


def reservation_hits(
    *, session: Session, probe: Probe, min_priority: int = 0, limit: int = 100
) -> list[Hit]:
    """Intersections of the probe with active reservation boxes of at least ``min_priority``."""
    rows = session.execute(
        text(
            f"""SELECT m.i, b.reservation_id, b.priority, {_MEET} FROM {_PROBES}
            JOIN reservation_boxes b ON {_HIT} AND b.priority >= :minp
            ORDER BY m.i, b.id LIMIT :limit"""
        ),
        {**probe.params(), "minp": min_priority, "limit": limit},
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
    *, session: Session, column: str, owner_id: uuid.UUID
) -> list[uuid.UUID]:
    """Active reservations overlapping the active boxes of one restriction or obstacle."""
    assert column in ("restriction_id", "obstacle_id")
    rows = session.scalars(
        text(
            f"""SELECT DISTINCT r.reservation_id FROM blocker_boxes b
            JOIN reservation_boxes r ON r.active AND r.x && b.x AND r.y && b.y
                AND r.f && b.f AND r.during && b.during
            WHERE b.{column} = :oid AND b.active ORDER BY 1"""
        ),
        {"oid": owner_id},
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
