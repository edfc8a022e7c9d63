"""The statements that store a reservation: its row, its volumes and its boxes at once.

A new reservation is one statement (:data:`INSERT_RESERVATION`): the row, the volumes (a
JSON array), the boxes (probe arrays) and its ``created`` event, and whether any stored
box meets an active restriction or obstacle. The exclusion constraints judge as always, through
``ON CONFLICT DO NOTHING`` (which waits for an in-flight conflicting transaction to end,
like a plain insert, and then skips instead of raising):

- ``ex_reservations_vehicle_time`` on the row: a live reservation of the same vehicle
  overlapping in time skips the row, and with it the volumes and boxes (they are inserted
  from the row's ``RETURNING``), so the statement returns no row: the vehicle is busy;
- the box exclusion on ``reservation_boxes``: an overlapping active box skips the box,
  and the count of stored boxes falls short: the space is taken.

Either way the transaction stays usable, so the caller reports the conflict without a
savepoint. Foreign keys are checked at the end of the statement, when the row exists.

The blocker test reads ``blocker_boxes`` in the same statement, after its locks are held:
PostgreSQL takes a statement's table locks (here ROW EXCLUSIVE on ``reservation_boxes``)
before its snapshot, so a restriction or obstacle that held ``SHARE`` on the box table is
committed and seen, and one that comes later waits for this transaction (see
docs/reservations.md, "Why blockers cannot race reservations").
"""

from __future__ import annotations

from sqlalchemy import text

from registry.boxes import probe_sql as sql

VOLUMES = """jsonb_array_elements(CAST(:docs AS jsonb)) WITH ORDINALITY AS d(doc, n)"""
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


def insert_volumes(owner: str, source: str = "") -> str:
    """The insert of the volumes (``:docs``) of reservation ``owner`` (an expression, of
    the optional ``source`` rows)."""
    return f"""INSERT INTO reservation_volumes (reservation_id, ordinal, time_start,
        time_end, zoom, spatial_ids, geometry, altitude_lower_m, altitude_upper_m)
    SELECT {owner}, (d.n - 1)::int, (d.doc->>'time_start')::timestamptz,
        (d.doc->>'time_end')::timestamptz, (d.doc->>'zoom')::int,
        CASE WHEN jsonb_typeof(d.doc->'spatial_ids') = 'array' THEN ARRAY(
            SELECT e.t FROM jsonb_array_elements_text(d.doc->'spatial_ids')
                WITH ORDINALITY AS e(t, k) ORDER BY e.k) END,
        nullif(d.doc->'geometry', 'null'::jsonb),
        (d.doc->>'altitude_lower_m')::float8, (d.doc->>'altitude_upper_m')::float8
    FROM {source}{VOLUMES}"""


def insert_boxes(
    owner: str, source: str = "", returning: str = "1", held_for: str = "NULL::uuid"
) -> str:
    """The insert of the probe's boxes of reservation ``owner`` under the exclusion
    constraint (overlapping boxes skipped), returning ``returning`` per stored box; a
    hold's boxes name the reservation they are ``held_for``."""
    return f"""INSERT INTO reservation_boxes (reservation_id, x, y, f, during, priority,
        held_for)
    SELECT {owner}, {sql.insert_ranges()}, {sql.M_WINDOW}, :priority, {held_for}
    FROM {source}{sql.PROBES}
    ON CONFLICT DO NOTHING RETURNING {returning}"""


CREATED_EVENT = """INSERT INTO events (type, source, subject, data, principal_id, operator_id)
    SELECT 'kukan.reservation.created', '/v1/reservations', r.id::text,
        jsonb_build_object('reservation_id', r.id, 'vehicle_id', r.vehicle_id,
            'state', 'accepted', 'version', 1, 'priority', r.priority,
            'time_start', r.time_start, 'time_end', r.time_end),
        r.principal_id, r.operator_id
    FROM r"""
"""The ``kukan.reservation.created`` event of the new row (see registry.services.events),
rolled back with it when the booking is refused."""
_MEETS_BLOCKER = f"""EXISTS (SELECT FROM b JOIN blocker_boxes k
    ON {sql.meets("k", sql.ranges("b"), "b.during")}
    WHERE CAST(:obstacles AS boolean) OR k.obstacle_id IS NULL)"""
INSERT_RESERVATION_SQL = f"""WITH r AS (
    INSERT INTO reservations ({", ".join(RESERVATION_COLUMNS)})
    VALUES ({_RESERVATION_VALUES})
    ON CONFLICT ON CONSTRAINT ex_reservations_vehicle_time DO NOTHING
    RETURNING id, created_at, updated_at, principal_id, operator_id, vehicle_id, priority,
        time_start, time_end
), v AS ({insert_volumes("r.id", "r, ")}
), b AS ({insert_boxes("r.id", "r, ", "x, y, f, during")}
), e AS ({CREATED_EVENT}
)
SELECT created_at, updated_at, (SELECT count(*) FROM b), {_MEETS_BLOCKER} FROM r"""
"""A new reservation: its timestamps, the number of boxes stored and whether one meets a
blocker (obstacles only with ``:obstacles``); no row when the vehicle is busy."""
INSERT_RESERVATION = text(INSERT_RESERVATION_SQL)  # built once: text() parses the SQL

INSERT_HOLD = text(
    f"""WITH r AS (
    INSERT INTO reservations ({", ".join(RESERVATION_COLUMNS)})
    VALUES ({_RESERVATION_VALUES})
    RETURNING id
), v AS ({insert_volumes("r.id", "r, ")}
), b AS ({insert_boxes("r.id", "r, ", "x, y, f, during", "CAST(:held_for AS uuid)")}
)
SELECT (SELECT count(*) FROM b), {_MEETS_BLOCKER} FROM r"""
)
"""A re-plan proposal's hold (a ``held`` reservation, no event): the number of boxes
stored and whether one meets a blocker."""

DROP_CONTENTS = text(
    """WITH b AS (DELETE FROM reservation_boxes WHERE reservation_id = :id)
    DELETE FROM reservation_volumes WHERE reservation_id = :id"""
)
INSERT_CONTENTS = text(
    f"""WITH v AS ({insert_volumes(":id")}
), b AS ({insert_boxes(":id")}
)
SELECT count(*) FROM b"""
)
"""New volumes and boxes of an existing reservation (after :data:`DROP_CONTENTS` in an
earlier statement: sub-statements of one statement run in no fixed order, so the
exclusion constraint could still see the old boxes)."""
