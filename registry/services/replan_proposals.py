"""Re-plan proposals, the replanner's side: request in the cause's transaction, claim one
to plan, hold its route's space, fail, expire, withdraw.

A request is stored in the transaction of its cause (a preemption, a restriction, a
vehicle turned contingent), so none is lost. The replanner claims a request with a short
lease (committed at once: planning then runs in a read-only transaction that never holds
back the event log), plans it, and stores the route as a hold: a ``held`` reservation whose
boxes exclude everyone but the reservation it is for. Every change of state is told to the
reservation's owner: ``kukan.replan.proposed`` when it is pending, else
``kukan.replan.<state>``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import shape
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.boxes import overlap
from registry.boxes.volumes import VolumeRequest, build_volumes
from registry.models import LIVE_STATES, ReplanProposal, Reservation
from registry.services.reservation_reads import volumes_of
from spatialid import parse_voxel, voxel_center

REPLANS = "/v1/replans"
"""The CloudEvents ``source`` of re-plan events."""
MAX_ATTEMPTS = 3
"""Plans of one request whose hold lost a race before it is failed."""
_EVENTS = text(
    f"""INSERT INTO events (type, source, subject, data, principal_id, operator_id)
    SELECT 'kukan.replan.' || CASE p.state WHEN 'pending' THEN 'proposed' ELSE p.state END,
        '{REPLANS}', p.id::text,
        jsonb_build_object('proposal_id', p.id, 'reservation_id', p.reservation_id,
            'vehicle_id', p.vehicle_id, 'cause', p.cause, 'state', p.state,
            'detail', p.detail, 'origin', p.origin, 'from_position', p.from_position,
            'departure_time', p.departure_time, 'expires_at', p.expires_at)
            || CAST(:extra AS jsonb),
        p.principal_id, p.operator_id
    FROM replan_proposals p WHERE p.id = ANY(:ids) ORDER BY p.id"""
)


@dataclass(frozen=True)
class Job:
    """A claimed request: what the replanner needs to plan it."""

    proposal_id: uuid.UUID
    reservation_id: uuid.UUID
    vehicle_id: uuid.UUID
    principal_id: uuid.UUID
    cause: str
    base_version: int


@dataclass(frozen=True)
class Ends:
    """Where and when the alternative route starts, and where it ends."""

    origin: tuple[float, float, float]
    destination: tuple[float, float, float]
    departure: datetime
    from_position: bool
    live: bool
    """The reservation is live (the route replaces it) rather than preempted."""


def emit(session: Session, ids: Sequence[uuid.UUID], **extra: Any) -> None:
    """Tell each proposal's owner its current state (``kukan.replan.proposed`` when
    pending, else ``kukan.replan.<state>``)."""
    if ids:
        session.execute(_EVENTS, {"ids": list(ids), "extra": json.dumps(extra, default=str)})


def drop_holds(session: Session, hold_ids: Sequence[uuid.UUID | None]) -> None:
    """Free the space of these holds (their reservation rows, volumes and boxes)."""
    ids = [h for h in hold_ids if h is not None]
    if ids:
        session.execute(text("DELETE FROM reservations WHERE id = ANY(:ids)"), {"ids": ids})


def _close(session: Session, where: str, params: dict[str, Any], state: str, detail: str) -> int:
    """Move the proposals matching ``where`` to ``state``, free their holds, tell owners."""
    rows = session.execute(
        text(
            f"""WITH old AS (
                SELECT id, hold_id FROM replan_proposals WHERE {where} ORDER BY id FOR UPDATE)
            UPDATE replan_proposals p SET state = :state, detail = :detail, hold_id = NULL,
                leased_until = NULL, updated_at = now()
            FROM old WHERE p.id = old.id RETURNING p.id, old.hold_id"""
        ),
        {**params, "state": state, "detail": detail},
    ).all()
    drop_holds(session, [r[1] for r in rows])
    emit(session, sorted(r[0] for r in rows))
    return len(rows)


def request(*, session: Session, reservation_ids: Sequence[uuid.UUID], cause: str) -> int:
    """Ask for a re-plan of each of these reservations (those with a vehicle and a window
    not yet over), superseding a pending proposal planned before this cause; the number of
    new requests (a reservation with one still unplanned keeps it)."""
    ids = sorted(set(reservation_ids))
    if not ids:
        return 0
    _close(
        session,
        "reservation_id = ANY(:ids) AND state = 'pending'",
        {"ids": ids},
        "superseded",
        f"superseded: the reservation was {cause} again",
    )
    made = session.execute(
        text(
            """INSERT INTO replan_proposals (id, reservation_id, principal_id, operator_id,
                vehicle_id, cause, base_version)
            SELECT gen_random_uuid(), r.id, r.principal_id, r.operator_id, r.vehicle_id,
                :cause, r.version
            FROM reservations r WHERE r.id = ANY(:ids) AND r.vehicle_id IS NOT NULL
                AND r.time_end > now() AND r.state <> 'held'
            ORDER BY r.id ON CONFLICT DO NOTHING"""
        ),
        {"ids": ids, "cause": cause},
    )
    return int(made.rowcount or 0)  # type: ignore[attr-defined]


def withdraw_holds(*, session: Session, hold_ids: Sequence[uuid.UUID], detail: str) -> int:
    """Withdraw the pending proposals whose holds are among these ids (their space is
    being taken, e.g. by a preemption); the number withdrawn."""
    if not hold_ids:
        return 0
    return _close(
        session,
        "hold_id = ANY(:ids) AND state = 'pending'",
        {"ids": list(hold_ids)},
        "withdrawn",
        detail,
    )


def withdraw_for(
    *, session: Session, reservation_ids: Sequence[uuid.UUID], cause: str, detail: str
) -> int:
    """Withdraw the open proposals of ``cause`` for these reservations (what caused them is
    gone: a restriction lifted); the number withdrawn."""
    if not reservation_ids:
        return 0
    return _close(
        session,
        "reservation_id = ANY(:ids) AND cause = :cause AND state IN ('requested', 'pending')",
        {"ids": list(reservation_ids), "cause": cause},
        "withdrawn",
        detail,
    )


def claim(*, session: Session, lease_s: float) -> Job | None:
    """Lease the oldest request nobody is planning (commit at once); None when none."""
    row = session.execute(
        text(
            """UPDATE replan_proposals SET leased_until = now() + make_interval(secs => :s),
                attempts = attempts + 1, updated_at = now()
            WHERE id = (SELECT id FROM replan_proposals
                WHERE state = 'requested' AND (leased_until IS NULL OR leased_until < now())
                ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, reservation_id, vehicle_id, principal_id, cause, base_version"""
        ),
        {"s": lease_s},
    ).first()
    if row is None:
        return None
    return Job(*row)


def _centre(volume: Any, last: bool) -> tuple[float, float, float]:
    """The middle of a stored volume (its first or last spatial ID's centre)."""
    if volume.spatial_ids:
        lng, lat, alt = voxel_center(parse_voxel(volume.spatial_ids[-1 if last else 0]))
        return (lng, lat, alt)
    c = shape(volume.geometry).centroid
    alt = ((volume.altitude_lower_m or 0.0) + (volume.altitude_upper_m or 0.0)) / 2
    return (c.x, c.y, alt)


def ends_of(
    *, session: Session, job: Job, now: datetime, lead_s: float, fresh_s: float
) -> Ends | str:
    """Where the alternative starts (the vehicle's last fix while flying, if fresher than
    ``fresh_s``; else the reservation's origin), when (``lead_s`` from now at the
    earliest), and where it ends; or why it cannot be planned."""
    res = session.get(Reservation, job.reservation_id)
    if res is None or res.time_end <= now:
        return "the reservation's window is over"
    if res.state not in (*LIVE_STATES, "preempted"):
        return f"the reservation is {res.state}"
    vols = sorted(volumes_of(session=session, reservation_id=res.id), key=lambda v: v.time_start)
    if not vols:
        return "the reservation has no volumes"
    first = _centre(vols[0], last=False)
    last = _centre(max(vols, key=lambda v: v.time_end), last=True)
    earliest = now + timedelta(seconds=lead_s)
    fix = session.execute(
        text("SELECT lng, lat, alt_m, time FROM vehicle_latest WHERE vehicle_id = :v"),
        {"v": job.vehicle_id},
    ).first()
    flying = (
        fix is not None and res.time_start <= now and fix[3] >= now - timedelta(seconds=fresh_s)
    )
    if flying:
        assert fix is not None
        origin = (float(fix[0]), float(fix[1]), float(fix[2]))
        return Ends(origin, last, earliest, True, res.state in LIVE_STATES)
    return Ends(first, last, max(earliest, res.time_start), False, res.state in LIVE_STATES)


def _requests(volumes: Sequence[dict[str, Any]]) -> list[VolumeRequest]:
    return [
        VolumeRequest(
            spatial_ids=v["spatial_ids"],
            time_start=datetime.fromisoformat(v["time_start"]),
            time_end=datetime.fromisoformat(v["time_end"]),
        )
        for v in volumes
    ]


def requests_of(proposal: ReplanProposal) -> list[VolumeRequest]:
    """A proposal's route as the volumes a reservation takes."""
    return _requests(proposal.volumes or [])


def hold(
    *,
    session: Session,
    job: Job,
    ends: Ends,
    volumes: Sequence[dict[str, Any]],
    route: dict[str, Any],
    now: datetime,
    hold_s: float,
) -> str:
    """Store the planned route as the pending proposal of ``job``, its space held until it
    expires (``hold_s`` from now, and no later than its departure). The outcome:
    ``pending``, ``contested`` (the space went meanwhile: plan again), or ``gone`` (the
    request was closed or the reservation changed meanwhile)."""
    p = session.scalar(
        select(ReplanProposal).where(ReplanProposal.id == job.proposal_id).with_for_update()
    )
    if p is None or p.state != "requested":
        return "gone"
    res = session.get(Reservation, job.reservation_id, with_for_update=True)
    if res is None or res.version != job.base_version:
        _close(session, "id = :id", {"id": p.id}, "superseded", "the reservation changed meanwhile")
        return "gone"
    built = build_volumes(_requests(volumes), now=now, max_duration_s=86_400, max_voxels=100_000)
    held = Reservation(
        id=uuid.uuid4(),
        principal_id=p.principal_id,
        operator_id=p.operator_id,
        vehicle_id=None,
        priority=res.priority,
        state="held",
        version=1,
        needs_replan=False,
        time_start=built.start,
        time_end=built.end,
        geometry=from_shape(built.footprint, srid=4326),
        reason=f"re-plan proposal {p.id}",
        idempotency_key=None,
        request_hash=None,
    )
    with session.begin_nested() as sp:
        stored, blocked = overlap.insert_hold(
            session=session,
            reservation=held,
            held_for=res.id,
            volumes_json=json.dumps([dict(b) for b in built.rows], default=_iso),
            probe=built.probe,
        )
        if stored < len(built.probe.rows) or blocked:
            sp.rollback()
            if p.attempts >= MAX_ATTEMPTS:
                fail(session=session, job=job, detail="the space went before it could be held")
            else:
                p.leased_until = None  # plan it again at once
            return "contested"
    expires = min(now + timedelta(seconds=hold_s), ends.departure)
    p.state, p.hold_id, p.leased_until = "pending", held.id, None
    p.origin = dict(zip(("lng", "lat", "alt_m"), ends.origin, strict=True))
    p.from_position, p.departure_time, p.expires_at = ends.from_position, ends.departure, expires
    p.volumes, p.route, p.updated_at = list(volumes), route, now
    session.flush()
    emit(session, [p.id], hold_id=str(held.id), route=route)
    return "pending"


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a volume")


def fail(*, session: Session, job: Job, detail: str) -> None:
    """Close a request that cannot be planned (``kukan.replan.failed``, with why)."""
    _close(session, "id = :id AND state = 'requested'", {"id": job.proposal_id}, "failed", detail)


def expire_due(*, session: Session, now: datetime) -> int:
    """Expire the pending proposals past their time (their holds freed); how many."""
    return _close(
        session,
        "state = 'pending' AND expires_at <= :now",
        {"now": now},
        "expired",
        "not accepted in time",
    )
