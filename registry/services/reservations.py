"""Reservations: create (conflict-free, with preemption), read, list and change state.

Conflict-freedom is the database's: the boxes are inserted under the exclusion
constraint of ``reservation_boxes``. A pre-check query finds overlaps first (cheap, and it
gives good messages and the preemption candidates); the insert uses ``ON CONFLICT DO
NOTHING``, so a box of a racing request that slipped between the pre-check and the insert
is skipped (after waiting for the other transaction), the count of stored boxes falls short,
and that becomes the same 409.
Blockers are checked after the insert, see :mod:`registry.boxes.blockers` for why.
A vehicle's reservations are pre-checked for an overlap in time too; the exclusion on
``reservations`` is the authority (see :mod:`registry.services.lifecycle`).

Priority is granted (:mod:`registry.services.authority`): a booking above its operator's
``max_priority`` is refused, and only an operator granted ``may_preempt`` displaces
lower-priority reservations; without it a higher priority conflicts like any other. A
preemption takes the whole victim (state ``preempted``), which records what preempted it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from registry.boxes import area_locks, overlap
from registry.boxes.conflicts import blocker_conflicts, reservation_conflicts
from registry.boxes.volumes import VolumeRequest, build_volumes
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import (
    LIVE_STATES,
    OPERATING_ROLES,
    REASON_MAX,
    Principal,
    Reservation,
    ReservationBox,
)
from registry.services import events, lifecycle, replan_proposals
from registry.services.authority import check_priority
from registry.services.reservation_reads import get_reservation
from registry.services.vehicles import lock_for_booking
from registry.volume_errors import Contested

TRANSITIONS = {
    ("accepted", "activated"),
    ("activated", "ended"),
    ("accepted", "cancelled"),
    ("activated", "cancelled"),
}
"""Allowed state changes by the owner; ``preempted`` is set by the system only."""
FREED_STATES = ("ended", "cancelled", "preempted")

__all__ = ["VolumeRequest"]  # the input of create_reservation, re-exported for callers


@dataclass
class Created:
    """A new (or replayed) reservation and what it preempted."""

    reservation: Reservation
    preempted_ids: list[uuid.UUID] = field(default_factory=list)
    preempted_count: int = 0
    replayed: bool = False
    volumes: list[dict[str, Any]] | None = None
    """The stored volume rows when just created (saves reading them back)."""


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a volume")


def _request_hash(
    vehicle_id: uuid.UUID | None, priority: int, volumes: Any, reason: str | None
) -> str:
    body = {"vehicle_id": vehicle_id, "priority": priority, "volumes": volumes}
    if reason is not None:  # absent from older requests' hashes
        body["reason"] = reason
    canon = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def _replay(session: Session, actor: Principal, key: str, digest: str) -> Reservation | None:
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{actor.id}:{key}"}
    )
    old = session.scalar(
        select(Reservation).where(
            Reservation.principal_id == actor.id, Reservation.idempotency_key == key
        )
    )
    if old is not None and old.request_hash != digest:
        raise InvalidInput(
            "this Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )
    return old


def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"reason must be at most {REASON_MAX} characters", field="reason")
    return reason or None


@dataclass(frozen=True)
class Preemptor:
    """What displaces the victims: recorded on each of them."""

    reservation_id: uuid.UUID
    priority: int
    reason: str | None


def _preempt(
    session: Session, actor: Principal, ids: list[uuid.UUID], by: Preemptor
) -> tuple[list[uuid.UUID], int]:
    # the table lock before the rows, as a blocker takes it (SHARE) before it marks rows:
    # a preemption and a blocker then queue on the table instead of on each other's rows
    session.execute(text("LOCK TABLE reservation_boxes IN ROW EXCLUSIVE MODE"))
    rows = session.execute(
        select(Reservation.id, Reservation.operator_id)
        .where(Reservation.id.in_(ids), Reservation.state.in_(LIVE_STATES))
        .order_by(Reservation.id)
        .with_for_update()
    ).all()
    locked = [r[0] for r in rows]
    if locked:
        session.execute(
            update(Reservation)
            .where(Reservation.id.in_(locked))
            .values(
                state="preempted",
                needs_replan=True,
                version=Reservation.version + 1,
                updated_at=func.now(),
                preempted_by_id=by.reservation_id,
                preempted_by_priority=by.priority,
                preempted_by_reason=by.reason,
                preempted_at=func.now(),
            )
        )
        overlap.set_active(
            session=session,
            table="reservation_boxes",
            column="reservation_id",
            ids=locked,
            active=False,
        )
        events.emit_preempted(session, locked)
        replan_proposals.request(session=session, reservation_ids=locked, cause="preempted")
    held = [i for i in ids if i not in set(locked)]
    if held:  # proposals' holds in the way: withdrawn, their space freed
        why = f"its space was taken by a priority {by.priority} reservation"
        replan_proposals.withdraw_holds(session=session, hold_ids=held, detail=why)
    mine = [r[0] for r in rows if r[1] is not None and r[1] == actor.operator_id]
    return mine, len(locked)


def create_reservation(
    *,
    session: Session,
    actor: Principal,
    volumes: Sequence[VolumeRequest],
    priority: int = 0,
    vehicle_id: uuid.UUID | None = None,
    reason: str | None = None,
    idempotency_key: str | None = None,
    max_duration_s: int = 86_400,
    max_voxels: int = 100_000,
    now: datetime | None = None,
) -> Created:
    """Reserve the volumes atomically, preempting lower priorities where granted;
    Contested on overlap, Forbidden above the operator's granted priority.

    Restrictions refuse every reservation; obstacles (buildings) refuse drones and
    vehicle-less reservations but not robots and cars, whose road voxels may share space
    with the buildings beside the road (they still never overlap each other).

    On ``Contested`` the transaction may hold this attempt's rows: roll it back (a request
    does), or call this inside ``session.begin_nested()`` to carry on after a 409.
    """
    if actor.role not in OPERATING_ROLES:
        raise Forbidden(f"a principal with role {actor.role!r} cannot reserve airspace")
    if not 0 <= priority <= 100:
        raise InvalidInput(f"priority must be 0..100, got {priority}", field="priority")
    reason = _reason(reason)
    digest = None
    if idempotency_key is not None:  # the fingerprint only matters to a replay
        digest = _request_hash(vehicle_id, priority, [v.as_dict() for v in volumes], reason)
        old = _replay(session, actor, idempotency_key, digest)
        if old is not None:
            return Created(old, replayed=True)
    # priority 0 is within every grant and preempts nothing: no grant to read
    grant = check_priority(session=session, actor=actor, priority=priority) if priority else None
    preempting = grant is not None and grant.may_preempt
    on_ground = False  # robots and cars reserve road voxels, which buildings may share
    if vehicle_id is not None:
        kind, status = lock_for_booking(session=session, actor=actor, vehicle_id=vehicle_id)
        lifecycle.refuse_retired(vehicle_id, status)
        on_ground = kind != "drone"
    built = build_volumes(
        volumes,
        now=now or datetime.now(UTC),
        max_duration_s=max_duration_s,
        max_voxels=max_voxels,
    )
    if vehicle_id is not None and preempting:  # busy elsewhere: preempt no one
        busy = lifecycle.vehicle_conflict(
            session=session, vehicle_id=vehicle_id, start=built.start, end=built.end
        )
        if busy is not None:
            raise busy
    mine: list[uuid.UUID] = []
    count = 0
    new_id = uuid.uuid4()
    # something to preempt? (priority 0, or no grant to preempt: the insert decides)
    if preempting:
        # overlapping preemptors take turns (no insert-vs-insert deadlock), and the second's
        # pre-check sees the first's committed boxes; see registry.boxes.area_locks
        area_locks.lock_area(session=session, probe=built.probe)
        owners = overlap.reservation_owners(session=session, probe=built.probe)
        if any(p >= priority for p in owners.values()):
            raise reservation_conflicts(session=session, built=built, min_priority=priority)
        by = Preemptor(new_id, priority, reason)
        mine, count = _preempt(session, actor, sorted(owners), by) if owners else ([], 0)
    res = Reservation(
        id=new_id,
        principal_id=actor.id,
        operator_id=actor.operator_id,
        vehicle_id=vehicle_id,
        priority=priority,
        state="accepted",
        version=1,
        needs_replan=False,
        time_start=built.start,
        time_end=built.end,
        geometry=from_shape(built.footprint, srid=4326),
        reason=reason,
        idempotency_key=idempotency_key,
        request_hash=digest,
        preempted_by_id=None,  # set, so that reading them loads nothing
        preempted_by_priority=None,
        preempted_by_reason=None,
        preempted_at=None,
    )
    inserted = overlap.insert_reservation(
        session=session,
        reservation=res,
        volumes_json=json.dumps(built.rows, default=_iso),
        probe=built.probe,
        obstacles=not on_ground,
    )
    if inserted is None:  # the vehicle-time exclusion skipped the row: name the winner
        assert vehicle_id is not None
        raise lifecycle.busy_error(
            session=session, vehicle_id=vehicle_id, start=built.start, end=built.end
        )
    res.created_at, res.updated_at, stored, blocked = inserted
    if stored < len(built.probe.rows):  # the exclusion constraint refused boxes: a 409, and
        # the caller rolls the transaction back (as for blockers below), so nothing stays
        exc = reservation_conflicts(session=session, built=built, min_priority=0, exclude=res.id)
        if priority > 0 and not preempting:
            note = f"priority {priority} preempts nothing: this operator may not preempt"
            raise Contested(f"{exc}; {note}", conflicts=exc.conflicts)
        raise exc
    make_transient_to_detached(res)  # the row is stored: attach it as persistent and clean
    session.add(res)
    if blocked:
        hits = overlap.blocker_hits(session=session, reservation_id=res.id, obstacles=not on_ground)
        if hits:
            raise blocker_conflicts(session=session, hits=hits, zoom=max(built.zooms))
    return Created(res, mine, count, volumes=built.rows)


def change_state(
    *,
    session: Session,
    actor: Principal | None,
    reservation_id: uuid.UUID,
    state: str,
    version: int | None = None,
) -> Reservation:
    """Apply an allowed transition; ended and cancelled free the space at once."""
    res = get_reservation(session=session, actor=actor, reservation_id=reservation_id, lock=True)
    if version is not None and version != res.version:
        raise Conflict(f"version mismatch: reservation is at version {res.version}, not {version}")
    current = lifecycle.effective_state(res)
    if (current, state) not in TRANSITIONS:
        raise Conflict(f"cannot change a reservation from {current!r} to {state!r}")
    res.state = state
    res.version += 1
    res.updated_at = datetime.now(UTC)
    if state in FREED_STATES:
        session.execute(
            update(ReservationBox)
            .where(ReservationBox.reservation_id == res.id)
            .values(active=False)
        )
    session.flush()
    events.emit_reservation(session, res, state)
    return res


def cancel_reservation(
    *, session: Session, actor: Principal | None, reservation_id: uuid.UUID
) -> Reservation:
    """Cancel (idempotent for an already cancelled reservation)."""
    res = get_reservation(session=session, actor=actor, reservation_id=reservation_id, lock=True)
    if res.state == "cancelled":
        return res
    if lifecycle.effective_state(res) == "ended":
        raise Conflict("cannot cancel a reservation that has ended")
    return change_state(
        session=session, actor=actor, reservation_id=reservation_id, state="cancelled"
    )
