"""Contested space and time as problem details: IDs and windows, never another's private data."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.boxes import overlap
from registry.boxes.leaf import box_to_ids
from registry.boxes.volumes import Built
from registry.models import Obstacle, Restriction
from registry.volume_errors import Contested, ContestedSpace

MAX_CONFLICTS = 20
MAX_IDS_PER_CONFLICT = 50


def reservation_conflicts(
    *, session: Session, built: Built, min_priority: int, exclude: uuid.UUID | None = None
) -> Contested:
    """The 409 for overlaps with active reservations of at least ``min_priority`` (other
    than ``exclude``, the reservation being written)."""
    hits = overlap.reservation_hits(
        session=session,
        probe=built.probe,
        min_priority=min_priority,
        limit=MAX_CONFLICTS,
        exclude=exclude,
    )
    conflicts = [
        ContestedSpace(
            "reservation", box_to_ids(h.box, built.zooms[h.i], MAX_IDS_PER_CONFLICT), h.start, h.end
        )
        for h in hits
    ]
    what = "another reservation" if len(conflicts) == 1 else "other reservations"
    return Contested(f"the requested space and time overlap {what}", conflicts=conflicts)


def blocker_conflicts(*, session: Session, hits: list[overlap.Hit], zoom: int) -> Contested:
    """The 409 for a reservation entering restrictions or obstacles, naming them."""
    ids = {h.owner for h in hits}
    restrictions = {
        r.id: r for r in session.scalars(select(Restriction).where(Restriction.id.in_(ids)))
    }
    obstacles = {o.id: o for o in session.scalars(select(Obstacle).where(Obstacle.id.in_(ids)))}
    conflicts: list[ContestedSpace] = []
    names = []
    for h in hits[:MAX_CONFLICTS]:
        ids_ = box_to_ids(h.box, zoom, MAX_IDS_PER_CONFLICT)
        if h.owner in restrictions:
            r = restrictions[h.owner]
            item = ContestedSpace(
                "restriction", ids_, h.start, h.end, restriction_id=r.id, reason=r.reason
            )
            names.append(f"restriction {r.id} ({r.reason})")
        else:
            o = obstacles[h.owner]
            item = ContestedSpace(
                "obstacle",
                ids_,
                h.start,
                h.end,
                obstacle_id=o.id,
                name=o.name,
                obstacle_kind=o.kind,
            )
            names.append(f"obstacle {o.id} ({o.name or o.kind})")
        conflicts.append(item)
    unique = list(dict.fromkeys(names))
    return Contested(f"the requested volumes enter {', '.join(unique)}", conflicts=conflicts)
