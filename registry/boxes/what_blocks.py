"""What blocks a leaf box in a window: restrictions and obstacles by name, reservations only
as "another reservation" (never whose)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.boxes import probe_sql as sql
from registry.models import Obstacle, Restriction

_MEETS = sql.meets("b", sql.ranges("p"), "tstzrange(:t0, :t1)")
_BLOCKERS = f"""SELECT DISTINCT b.restriction_id, b.obstacle_id FROM blocker_boxes b,
    {sql.ONE_PROBE} WHERE {_MEETS} LIMIT :limit"""
_RESERVED = f"""SELECT EXISTS (SELECT 1 FROM reservation_boxes b, {sql.ONE_PROBE}
    WHERE {_MEETS} AND b.reservation_id IS DISTINCT FROM CAST(:ex AS uuid))"""

Box = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Blocking:
    """What blocks: ``names`` for a message, ``items`` for a problem document."""

    names: list[str]
    items: list[dict[str, object]]

    def __bool__(self) -> bool:
        return bool(self.items)


def what_blocks(
    *,
    session: Session,
    box: Box,
    start: datetime,
    end: datetime,
    reservations: bool = True,
    exclude: uuid.UUID | None = None,
    limit: int = 5,
) -> Blocking:
    """The restrictions, obstacles and (with ``reservations``) other reservations than
    ``exclude`` whose active boxes meet the leaf ``box`` during ``[start, end)``."""
    x0, x1, y0, y1, f0, f1 = box
    params: dict[str, object] = dict(
        x0=x0, x1=x1, y0=y0, y1=y1, f0=f0, f1=f1, t0=start, t1=end, limit=limit, ex=exclude
    )
    owners = session.execute(text(_BLOCKERS), params).all()
    r_ids = [r for r, _ in owners if r is not None]
    o_ids = [o for _, o in owners if o is not None]
    names: list[str] = []
    items: list[dict[str, object]] = []
    query = select(Restriction).where(Restriction.id.in_(r_ids)).order_by(Restriction.created_at)
    for r in session.scalars(query):
        names.append(f"restriction {r.id} ({r.reason})")
        items.append({"kind": "restriction", "restriction_id": str(r.id), "reason": r.reason})
    for o in session.scalars(select(Obstacle).where(Obstacle.id.in_(o_ids))):
        names.append(f"obstacle {o.id} ({o.name or o.kind})")
        items.append(
            {"kind": "obstacle", "obstacle_id": str(o.id), "obstacle_kind": o.kind, "name": o.name}
        )
    if reservations and session.execute(text(_RESERVED), params).scalar():
        names.append("another reservation")
        items.append({"kind": "reservation"})
    return Blocking(names, items)
