"""Why a reservation needs re-planning: the blockers meeting it, recorded and cleared.

``replan_causes`` holds one row per (reservation, restriction or obstacle) that met a live
reservation's active boxes, with the time it was first seen. ``needs_replan`` on the
reservation is the summary: set when a cause is recorded, cleared when the last cause goes
(the blocker was lifted, deleted or moved away). A preempted reservation keeps its flag: it
lost its space and must be planned again whatever blocks.

Clearing is race-free against a concurrent marking: the reservation rows are locked
(``FOR NO KEY UPDATE``, which lets cause inserts check their foreign key) before a fresh
statement looks for remaining causes, and a marking transaction updates the same rows after
inserting its cause, so either the cause is committed and seen, or the marker's update
comes after and sets the flag again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.boxes import probe_sql as sql
from registry.models import LIVE_STATES

COLUMNS = ("restriction_id", "obstacle_id")
_LIVE = ", ".join(f"'{s}'" for s in LIVE_STATES)


def _column(column: str) -> str:
    assert column in COLUMNS
    return column


def record(*, session: Session, column: str, owner_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Record every live reservation the active boxes of these blockers meet as caused by
    them, flag it ``needs_replan`` (a new version); the reservations met, sorted."""
    if not owner_ids:
        return []
    col = _column(column)
    rows = session.scalars(
        text(
            f"""WITH hit AS (
                SELECT DISTINCT r.reservation_id AS rid, b.{col} AS oid
                FROM unnest(CAST(:oids AS uuid[])) AS o(id)
                JOIN blocker_boxes b ON b.{col} = o.id AND b.active
                JOIN reservation_boxes r ON {sql.meets("r", sql.ranges("b"), "b.during")}
                JOIN reservations v ON v.id = r.reservation_id AND v.state IN ({_LIVE})
                    AND v.time_end > now()
            ), added AS (
                INSERT INTO replan_causes (reservation_id, {col})
                SELECT rid, oid FROM hit ORDER BY rid, oid
                ON CONFLICT DO NOTHING
            )
            SELECT DISTINCT rid FROM hit ORDER BY 1"""
        ),
        {"oids": list(owner_ids)},
    )
    hit = list(rows)
    if hit:
        session.execute(
            text(
                """UPDATE reservations SET needs_replan = true, version = version + 1,
                    updated_at = now() WHERE id = ANY(:ids)"""
            ),
            {"ids": hit},
        )
    return hit


def recheck(*, session: Session, column: str, owner_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Drop the causes of these blockers that no longer meet their reservation (lifted,
    deleted or moved), then clear the flag of reservations left without a cause; the
    reservations whose flag was cleared, sorted."""
    if not owner_ids:
        return []
    col = _column(column)
    touched = list(
        session.scalars(
            text(
                f"""WITH gone AS (
                    DELETE FROM replan_causes c WHERE c.{col} = ANY(:oids) AND NOT EXISTS (
                        SELECT 1 FROM blocker_boxes b JOIN reservation_boxes r
                            ON r.reservation_id = c.reservation_id
                            AND {sql.meets("r", sql.ranges("b"), "b.during")}
                        WHERE b.{col} = c.{col} AND b.active)
                    RETURNING c.reservation_id)
                SELECT DISTINCT reservation_id FROM gone ORDER BY 1"""
            ),
            {"oids": list(owner_ids)},
        )
    )
    return clear(session=session, reservation_ids=touched)


def clear(*, session: Session, reservation_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Clear ``needs_replan`` of the live reservations among these with no cause left."""
    if not reservation_ids:
        return []
    ids = sorted(set(reservation_ids))
    session.execute(
        text("SELECT id FROM reservations WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE"),
        {"ids": ids},
    )
    cleared = session.scalars(
        text(
            f"""UPDATE reservations v SET needs_replan = false, version = v.version + 1,
                updated_at = now()
            WHERE v.id = ANY(:ids) AND v.needs_replan AND v.state IN ({_LIVE})
                AND NOT EXISTS (SELECT 1 FROM replan_causes c WHERE c.reservation_id = v.id)
            RETURNING v.id"""
        ),
        {"ids": ids},
    )
    return sorted(cleared)


def recheck_reservation(*, session: Session, reservation_id: uuid.UUID) -> list[uuid.UUID]:
    """Re-judge one reservation's causes against its current boxes (after its volumes
    changed): drop those that no longer meet it, clear the flag if none is left."""
    session.execute(
        text(
            f"""DELETE FROM replan_causes c WHERE c.reservation_id = :rid AND NOT EXISTS (
                SELECT 1 FROM blocker_boxes b JOIN reservation_boxes r
                    ON r.reservation_id = c.reservation_id
                    AND {sql.meets("r", sql.ranges("b"), "b.during")}
                WHERE b.active AND (b.restriction_id = c.restriction_id
                    OR b.obstacle_id = c.obstacle_id))"""
        ),
        {"rid": reservation_id},
    )
    return clear(session=session, reservation_ids=[reservation_id])
