"""Replace a reservation's volumes in place: same id, new boxes, all or nothing.

The insert protocol of :func:`registry.services.reservations.create_reservation`, on an
existing row: lock the cells of the new boxes (:mod:`registry.boxes.area_locks`, so a
preempting request overlapping them waits and then sees them), lock the reservation's
row, delete its own boxes and volumes, insert the new ones under the exclusion
constraint (``ON CONFLICT DO NOTHING``: a box of another reservation, committed or in
flight, makes the count fall short), check the blockers, and bump the version, in the
caller's transaction. On ``Contested`` the caller rolls back, which brings the old
boxes back: until the commit they keep holding the old space (a competing insert there
waits on them), so the old slot is never free in between.

The new volumes are checked against everything but the reservation itself. A replace
keeps the reservation's vehicle and priority and never preempts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.boxes import area_locks, overlap, replans
from registry.boxes.conflicts import blocker_conflicts, reservation_conflicts
from registry.boxes.volumes import Built, VolumeRequest, build_volumes
from registry.errors import Conflict, Forbidden, PreconditionFailed
from registry.models import LIVE_STATES, OPERATING_ROLES, Principal, Reservation, Vehicle
from registry.services import events, lifecycle
from registry.services.reservation_reads import get_reservation, volumes_of

VOLUME_KEYS = (
    "ordinal", "time_start", "time_end", "zoom", "spatial_ids", "geometry",
    "altitude_lower_m", "altitude_upper_m",
)  # fmt: skip
"""The stored columns of a volume that a replace compares (same values: same volume)."""


@dataclass
class Replaced:
    """The reservation after a replace, and whether it already had these volumes."""

    reservation: Reservation
    unchanged: bool
    volumes: list[dict[str, Any]] | None = None
    """The stored volume rows when just written (saves reading them back)."""


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a volume")


def _canon(row: dict[str, Any]) -> tuple[Any, ...]:
    """A volume's stored values, instants in UTC (equal when the stored rows would be)."""
    out = []
    for k in VOLUME_KEYS:
        v = row.get(k)
        out.append(v.astimezone(UTC) if isinstance(v, datetime) else v)
    return tuple(out)


def _same_volumes(session: Session, res: Reservation, built: Built) -> bool:
    stored = volumes_of(session=session, reservation_id=res.id)
    old = [_canon({k: getattr(v, k) for k in VOLUME_KEYS}) for v in stored]
    return old == [_canon(r) for r in built.rows]


def replace_reservation(
    *,
    session: Session,
    actor: Principal,
    reservation_id: uuid.UUID,
    volumes: Sequence[VolumeRequest],
    expected_versions: Collection[int] | None,
    max_duration_s: int = 86_400,
    max_voxels: int = 100_000,
    now: datetime | None = None,
) -> Replaced:
    """Give a live reservation new volumes atomically, if it is at one of
    ``expected_versions`` (``None``: at any).

    The same volumes again are a no-op (``unchanged``; the version stays, and a stale
    expected version is then no error: the change is already there). Another
    operator's reservation is NotFound; a stale version PreconditionFailed; an ended,
    cancelled or preempted one Conflict; overlap with another reservation or a blocker
    Contested (roll back: the old volumes stay).
    """
    built = build_volumes(
        volumes,
        now=now or datetime.now(UTC),
        max_duration_s=max_duration_s,
        max_voxels=max_voxels,
    )
    area_locks.lock_area(session=session, probe=built.probe)  # before the row, as preemptors
    res = get_reservation(session=session, actor=actor, reservation_id=reservation_id, lock=True)
    if actor.role not in OPERATING_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot change reservations")
    if res.state not in LIVE_STATES:
        raise Conflict(f"reservation {res.id} is {res.state}: only a live one can be replaced")
    if _same_volumes(session, res, built):
        return Replaced(res, unchanged=True)
    if expected_versions is not None and res.version not in expected_versions:
        wanted = ", ".join(str(v) for v in sorted(expected_versions))
        raise PreconditionFailed(f"reservation {res.id} is at version {res.version}, not {wanted}")
    if res.vehicle_id is not None:  # the new window must not meet the vehicle's other bookings
        busy = lifecycle.vehicle_conflict(
            session=session,
            vehicle_id=res.vehicle_id,
            start=built.start,
            end=built.end,
            exclude=res.id,
        )
        if busy is not None:
            raise busy
    on_ground = False
    if res.vehicle_id is not None:
        vehicle = session.get(Vehicle, res.vehicle_id)
        on_ground = vehicle is not None and vehicle.kind != "drone"
    stored = overlap.replace_contents(
        session=session,
        reservation_id=res.id,
        priority=res.priority,
        volumes_json=json.dumps(built.rows, default=_iso),
        probe=built.probe,
    )
    if stored < len(built.probe.rows):
        raise reservation_conflicts(session=session, built=built, min_priority=0, exclude=res.id)
    hits = overlap.blocker_hits(session=session, reservation_id=res.id, obstacles=not on_ground)
    if hits:
        raise blocker_conflicts(session=session, hits=hits, zoom=max(built.zooms))
    res.time_start, res.time_end = built.start, built.end
    res.geometry = from_shape(built.footprint, srid=4326)
    res.version += 1
    res.needs_replan = False  # the new volumes met no blocker just now
    res.updated_at = datetime.now(UTC)
    try:
        with session.begin_nested():  # the vehicle-time exclusion has the last word
            session.flush()
    except IntegrityError as exc:
        if res.vehicle_id is None or not lifecycle.is_vehicle_time_violation(exc):
            raise
        raise lifecycle.busy_error(
            session=session,
            vehicle_id=res.vehicle_id,
            start=built.start,
            end=built.end,
            exclude=res.id,
        ) from None
    replans.recheck_reservation(session=session, reservation_id=res.id)  # drop old causes
    events.emit_reservation(session, res, "changed")
    return Replaced(res, unchanged=False, volumes=built.rows)
