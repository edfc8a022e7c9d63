"""Conformance: each monitored reservation's state (F3548's ``activated``,
``nonconforming``, ``contingent``, ``ended``), moved by fixes in time order, each change
recorded and told (``kukan.conformance.<state>``) to the reservation's owner and, when the
vehicle is off its plan, to the municipalities whose jurisdiction holds the fix."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.services import replan_proposals
from registry.services.events import emit
from registry.services.telemetry_checks import Fix, TelemetryPolicy

CONFORMANCE = "/v1/telemetry"
"""The CloudEvents ``source`` of conformance and telemetry events."""
ALERT_STATES = ("nonconforming", "contingent")
"""States (and ``kukan.telemetry.lost``) that municipalities hear of inside their area."""
NEVER = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
_UPDATE = text(
    """
    UPDATE conformance c SET state = u.s, since = coalesce(u.since, c.since),
        outside_since = u.out, last_fix_time = u.t, last_received_at = u.rt,
        fixes = c.fixes + u.n, lost = c.lost AND u.n = 0
    FROM unnest(CAST(:r AS uuid[]), CAST(:s AS text[]), CAST(:since AS timestamptz[]),
                CAST(:out AS timestamptz[]), CAST(:t AS timestamptz[]),
                CAST(:rt AS timestamptz[]), CAST(:n AS int[])) AS u(r, s, since, out, t, rt, n)
    WHERE c.reservation_id = u.r
    """
)


@dataclass(frozen=True)
class Observation:
    """A stored fix seen against the reservation covering its time."""

    index: int
    reservation_id: uuid.UUID
    vehicle_id: uuid.UUID
    principal_id: uuid.UUID
    operator_id: uuid.UUID | None
    time: datetime
    received_at: datetime
    inside: bool
    lng: float
    lat: float
    alt_m: float
    reason: str | None = None


def swept(
    *,
    reservation_id: uuid.UUID,
    vehicle_id: uuid.UUID,
    principal_id: uuid.UUID,
    operator_id: uuid.UUID | None,
    now: datetime,
    position: tuple[float | None, float | None, float | None],
) -> Observation:
    """What the sweeper saw of a flight at ``now``: no fix, only its last position (0 where
    it has none)."""
    lng, lat, alt = (v if v is not None else 0.0 for v in position)
    return Observation(
        index=-1,
        reservation_id=reservation_id,
        vehicle_id=vehicle_id,
        principal_id=principal_id,
        operator_id=operator_id,
        time=now,
        received_at=now,
        inside=False,
        lng=lng,
        lat=lat,
        alt_m=alt,
    )


def step(
    state: str | None,
    obs: Observation,
    outside_since: datetime | None,
    policy: TelemetryPolicy,
) -> tuple[str | None, datetime | None, str]:
    """The state after one newer fix, the start of the stretch outside, and why."""
    if state in ("contingent", "ended"):
        return state, outside_since, ""
    if obs.inside:
        if state is None:
            return "activated", None, "first conforming fix"
        if state == "nonconforming":
            return "activated", None, "back inside the reservation"
        return state, None, ""
    since = outside_since or obs.time
    why = obs.reason or "outside the reservation"
    if state == "nonconforming":
        if obs.time - since >= timedelta(seconds=policy.contingent_after_s):
            return "contingent", since, f"outside for {policy.contingent_after_s:g} s or more"
        return state, since, ""
    return "nonconforming", since, why


def apply_observations(
    session: Session,
    observations: Sequence[Observation],
    unmonitored: Sequence[Fix],
    policy: TelemetryPolicy,
) -> dict[int, str]:
    """Move the states of the reservations the fixes concern; the state after each fix."""
    observations = [*observations, *_overruns(session, unmonitored)]
    if not observations:
        return {}
    by_res: dict[uuid.UUID, list[Observation]] = {}
    for obs in observations:
        by_res.setdefault(obs.reservation_id, []).append(obs)
    ids = sorted(by_res, key=str)
    session.execute(
        text(
            "INSERT INTO conformance (reservation_id, vehicle_id, state, since, last_fix_time,"
            " last_received_at) SELECT r, v, 'activated', :never, :never, :never"
            " FROM unnest(CAST(:r AS uuid[]), CAST(:v AS uuid[])) AS n(r, v)"
            " ON CONFLICT (reservation_id) DO NOTHING"
        ),
        {
            "r": [str(r) for r in ids],
            "v": [str(by_res[r][0].vehicle_id) for r in ids],
            "never": NEVER,
        },
    )
    rows = session.execute(
        text(
            "SELECT reservation_id, state, outside_since, last_fix_time, last_received_at"
            " FROM conformance WHERE reservation_id = ANY(CAST(:r AS uuid[]))"
            " ORDER BY reservation_id FOR UPDATE"
        ),
        {"r": [str(r) for r in ids]},
    ).all()
    states: dict[int, str] = {}
    updates: list[tuple[Any, ...]] = []
    for rid, state, outside_since, last_fix, last_received in rows:
        current = None if last_fix == NEVER else state
        changes: list[tuple[str | None, str, Observation, str]] = []
        newest = last_fix
        for obs in sorted(by_res[rid], key=lambda o: o.time):
            if obs.time <= last_fix:
                if current is not None:
                    states[obs.index] = current
                continue  # a late fix is history; it does not move the state back
            new, outside_since, why = step(current, obs, outside_since, policy)
            if new != current and new is not None:
                changes.append((current, new, obs, why))
                current = new
            newest = max(newest, obs.time)
            last_received = max(last_received, obs.received_at)
            if current is not None:
                states[obs.index] = current
        count = sum(1 for o in by_res[rid] if o.time > last_fix)
        since = changes[-1][2].time if changes else None
        updates.append(
            (str(rid), current or "activated", since, outside_since, newest, last_received, count)
        )
        for old, new, obs, why in changes:
            record_transition(session, obs, old, new, why)
    columns = list(zip(*updates, strict=True))
    session.execute(
        _UPDATE,
        {
            k: list(v)
            for k, v in zip(("r", "s", "since", "out", "t", "rt", "n"), columns, strict=True)
        },
    )
    states.pop(-1, None)
    return states


def record_transition(
    session: Session, obs: Observation, old: str | None, new: str, why: str
) -> None:
    """Store a transition and tell whom it concerns."""
    session.execute(
        text(
            "INSERT INTO conformance_transitions (reservation_id, from_state, to_state, time,"
            " reason) VALUES (:r, :f, :t, :time, :why)"
        ),
        {"r": obs.reservation_id, "f": old, "t": new, "time": obs.time, "why": why},
    )
    data = {
        "reservation_id": str(obs.reservation_id),
        "vehicle_id": str(obs.vehicle_id),
        "from": old,
        "state": new,
        "reason": why,
        "time": obs.time.isoformat(),
        "position": {"lng": obs.lng, "lat": obs.lat, "alt_m": obs.alt_m},
    }
    tell(session, f"kukan.conformance.{new}", obs, data, municipalities=new in ALERT_STATES)
    if new == "contingent":
        replan_proposals.request(
            session=session, reservation_ids=[obs.reservation_id], cause="contingent"
        )


def tell(
    session: Session,
    type: str,
    obs: Observation,
    data: dict[str, Any],
    *,
    municipalities: bool,
) -> None:
    """Emit an event to the reservation's owner and, if asked, to each municipality whose
    jurisdiction holds the position (one statement)."""
    emit(
        session=session,
        type=type,
        source=CONFORMANCE,
        subject=str(obs.reservation_id),
        data=data,
        principal_id=obs.principal_id,
        operator_id=obs.operator_id,
    )
    if municipalities:
        session.execute(
            text(
                "INSERT INTO events (type, source, subject, data, principal_id)"
                " SELECT :type, :source, :subject, CAST(:data AS jsonb), p.id FROM principals p"
                " WHERE p.role = 'municipality' AND p.revoked_at IS NULL"
                " AND p.jurisdiction IS NOT NULL AND p.id <> :owner"
                " AND ST_Intersects(p.jurisdiction, ST_SetSRID(ST_Point(:lng, :lat), 4326))"
            ),
            {
                "type": type,
                "source": CONFORMANCE,
                "subject": str(obs.reservation_id),
                "data": json.dumps(data),
                "owner": obs.principal_id,
                "lng": obs.lng,
                "lat": obs.lat,
            },
        )


def _overruns(session: Session, fixes: Sequence[Fix]) -> list[Observation]:
    """Fixes of vehicles still flying after their monitored reservation's window: each an
    observation outside that reservation."""
    if not fixes:
        return []
    rows = session.execute(
        text(
            "SELECT c.vehicle_id, c.reservation_id, r.principal_id, r.operator_id, r.time_end"
            " FROM conformance c JOIN reservations r ON r.id = c.reservation_id"
            " WHERE c.vehicle_id = ANY(CAST(:v AS uuid[])) AND c.state <> 'ended'"
        ),
        {"v": sorted({str(f.vehicle_id) for f in fixes})},
    ).all()
    open_by_vehicle = {row[0]: row for row in rows}
    out = []
    for fix in fixes:
        row = open_by_vehicle.get(fix.vehicle_id)
        if row is not None and fix.time > row[4]:
            out.append(
                Observation(
                    index=-1,
                    reservation_id=row[1],
                    vehicle_id=fix.vehicle_id,
                    principal_id=row[2],
                    operator_id=row[3],
                    time=fix.time,
                    received_at=fix.time,
                    inside=False,
                    lng=fix.lng,
                    lat=fix.lat,
                    alt_m=fix.alt_m,
                    reason="still flying after the reservation's window",
                )
            )
    return out
