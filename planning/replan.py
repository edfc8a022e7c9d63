"""Re-plan one requested proposal: claim it, plan an alternative, hold its space.

The request's reservation is planned again from its vehicle's last fix while it flies
(else from its origin), to its destination, departing after a short lead, with the same
planner a route request uses (a live reservation's own space counts as free, as for a
replace). The route is then held as the pending proposal
(:func:`registry.services.replan_proposals.hold`); a hold that loses a race is planned
again, and a request that cannot be planned is failed with the planner's reason.
Each step is its own short transaction: planning itself only reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from planning.budget import Budget
from planning.caches import PlanningCaches
from planning.routes import plan_route, route_volumes
from registry.db import session_scope
from registry.errors import RegistryError
from registry.models import Principal
from registry.services import replan_proposals as proposals
from routing import RoutingError

log = logging.getLogger("kukan.replan")


@dataclass(frozen=True)
class ReplanPolicy:
    """How the replanner plans and holds."""

    hold_s: float = 30.0
    """How long a proposal holds its space (and, while flying, the lead before it departs)."""
    fresh_s: float = 30.0
    """A fix older than this is no longer where the vehicle is."""
    budget: Budget = field(default_factory=Budget)
    """Each plan's budget (its deadline set when it starts)."""
    lease_s: float = 60.0


def replan_next(
    *,
    factory: sessionmaker[Session],
    caches: PlanningCaches,
    policy: ReplanPolicy,
    now: datetime | None = None,
) -> str | None:
    """Plan the oldest waiting request; its outcome (``pending``, ``failed``,
    ``contested``, ``gone``), or None when nothing waits."""
    with session_scope(factory) as session:
        job = proposals.claim(session=session, lease_s=policy.lease_s)
    if job is None:
        return None
    now = now or datetime.now(UTC)
    with session_scope(factory) as session:
        ends = proposals.ends_of(
            session=session, job=job, now=now, lead_s=policy.hold_s, fresh_s=policy.fresh_s
        )
        why = ends if isinstance(ends, str) else None
        route = None
        if not isinstance(ends, str):
            actor = session.get(Principal, job.principal_id)
            try:
                planned = plan_route(
                    session=session,
                    caches=caches,
                    actor=actor,
                    vehicle_id=job.vehicle_id,
                    origin=ends.origin,
                    destination=ends.destination,
                    departure_time=ends.departure,
                    replaces=job.reservation_id if ends.live else None,
                    budget=policy.budget,
                )
                route = planned.route
            except RoutingError as exc:
                why = f"no route: {getattr(exc, 'reason', 'no_path')}: {exc}"
            except RegistryError as exc:
                why = str(exc)
        session.rollback()  # planning only read
    if route is None or isinstance(ends, str):
        with session_scope(factory) as session:
            proposals.fail(session=session, job=job, detail=why or "no route")
        log.info("re-plan of %s failed: %s", job.reservation_id, why)
        return "failed"
    volumes = [
        {
            "spatial_ids": list(v.spatial_ids or []),
            "time_start": v.time_start.isoformat(),
            "time_end": v.time_end.isoformat(),
        }
        for v in route_volumes(route)
        if v.time_start is not None and v.time_end is not None
    ]
    with session_scope(factory) as session:
        return proposals.hold(
            session=session,
            job=job,
            ends=ends,
            volumes=volumes,
            route=route.to_geojson()["geometry"],
            now=datetime.now(UTC),
            hold_s=policy.hold_s,
        )


def expire(*, factory: sessionmaker[Session], now: datetime | None = None) -> int:
    """Expire the pending proposals past their time; how many."""
    with session_scope(factory) as session:
        return proposals.expire_due(session=session, now=now or datetime.now(UTC))
