"""``kukan route``: plan (and optionally reserve) a route for a vehicle and print a summary."""

from __future__ import annotations

import argparse
import math
import os
import uuid
from datetime import UTC, datetime, timedelta

from api.cli_common import CliError, factory, sub
from api.settings import Settings

EXAMPLE = (
    "kukan route --vehicle 6f1c... --from 24.9410,60.1690,60 --to 24.9540,60.1700,60 "
    "--depart 2030-01-01T10:00:00Z --reserve --token $KUKAN_TOKEN"
)


def _point(raw: str, name: str) -> tuple[float, float, float]:
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (2, 3):
        raise CliError(f"{name} must be LNG,LAT[,ALT], got {raw!r}")
    return (values[0], values[1], values[2] if len(values) == 3 else 0.0)


def _clearance(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be metres in 0..100, got {raw!r}")
    return value


def _depart(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    try:
        t = datetime.fromisoformat(raw)
    except ValueError:
        raise CliError(f"--depart must be RFC 3339, got {raw!r}") from None
    if t.tzinfo is None:
        raise CliError(f"--depart needs a time zone (e.g. Z), got {raw!r}")
    return t


def cmd_route(args: argparse.Namespace, settings: Settings) -> None:
    """Plan a route; with --reserve reserve it as the principal of --token."""
    from api.route_work import budget
    from planning import routes
    from planning.caches import PlanningCaches
    from registry.db import session_scope
    from registry.services.principals import authenticate
    from routing.route import rfc3339

    try:
        vehicle_id = uuid.UUID(args.vehicle)
    except ValueError:
        raise CliError(f"--vehicle must be a UUID, got {args.vehicle!r}") from None
    origin, destination = _point(args.origin, "--from"), _point(args.to, "--to")
    departure = _depart(args.depart)
    token = args.token or os.environ.get("KUKAN_TOKEN")
    if args.reserve and not token:
        raise CliError("--reserve needs --token (or KUKAN_TOKEN)")
    caches = PlanningCaches.create(grid_cache_mb=settings.route_grid_cache_mb)
    with session_scope(factory(settings)) as session:
        actor = authenticate(session=session, token=token) if token else None
        planned = routes.plan_route(
            session=session,
            caches=caches,
            actor=actor,
            vehicle_id=vehicle_id,
            origin=origin,
            destination=destination,
            departure_time=departure,
            zoom=args.zoom,
            reserve=args.reserve,
            source=args.source,
            clearance_m=args.clearance,
            budget=budget(settings),
            snap_distances=settings.snap_distances(),
            max_distances=settings.max_distances(),
        )
        r = planned.route
        line = (
            f"route: {planned.planner} z{planned.zoom}, {r.length_m:.0f} m, "
            f"departure {rfc3339(r.departure)}, arrival {rfc3339(r.arrival)} "
            f"({r.duration_s:.1f} s), {len(r.visits)} spatial IDs"
        )
        if planned.created is not None:
            line += f", reserved {planned.created.reservation.id}"
    print(line)


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan route``."""
    p = sub(subs, "route", "plan (and reserve) a conflict-free route for a vehicle", EXAMPLE)
    p.add_argument("--vehicle", required=True, help="the vehicle's id")
    p.add_argument("--from", dest="origin", required=True, help="origin LNG,LAT,ALT")
    p.add_argument("--to", required=True, help="destination LNG,LAT,ALT")
    p.add_argument("--depart", help="departure, RFC 3339 with a zone (default: in a minute)")
    p.add_argument("--zoom", type=int, help="planning zoom for drones (default 23)")
    p.add_argument("--source", help="road data source for robots and cars (default: nearest)")
    p.add_argument(
        "--clearance",
        type=_clearance,
        metavar="METRES",
        help="drones: keep this far from obstacles and restrictions (default 0)",
    )
    p.add_argument("--reserve", action="store_true", help="reserve the route (needs --token)")
    p.add_argument("--token", help="bearer token of the principal (default: KUKAN_TOKEN)")
    p.set_defaults(func=cmd_route)
