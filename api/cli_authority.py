"""``kukan grant`` and ``kukan jurisdiction``: an operator's priority grant and the area a
municipality governs, set from the command line as an admin would over HTTP."""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path
from typing import Any

from api.cli_common import CliError, factory, operator_id_of, sub
from api.settings import Settings


def cmd_grant(args: argparse.Namespace, settings: Settings) -> None:
    """Set an operator's highest priority and whether it may preempt."""
    from registry.db import session_scope
    from registry.services import authority

    with session_scope(factory(settings)) as session:
        op = authority.set_grant(
            session=session,
            actor=None,
            operator_id=operator_id_of(session, args.operator),
            max_priority=args.max_priority,
            may_preempt=args.may_preempt,
        )
        print(
            f"operator {op.name!r} ({op.id}): max_priority {op.max_priority}, "
            f"may_preempt {'yes' if op.may_preempt else 'no'}"
        )


def read_area(path: str) -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon from a file holding it, or a Feature of it, or a
    FeatureCollection of one Feature."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read GeoJSON from {path}: {exc}") from None
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
        if len(features) != 1:
            raise CliError(f"{path}: a FeatureCollection of one Feature is expected")
        doc = features[0]
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") not in ("Polygon", "MultiPolygon"):
        raise CliError(f"{path}: a GeoJSON Polygon or MultiPolygon is expected")
    return doc


def cmd_jurisdiction(args: argparse.Namespace, settings: Settings) -> None:
    """Set (or clear) the area a municipality principal governs."""
    from registry.db import session_scope
    from registry.services import authority

    if (args.file is None) == (not args.clear):
        raise CliError("give a GeoJSON file, or --clear")
    try:
        principal_id = uuid.UUID(args.principal)
    except ValueError:
        raise CliError(
            f"principal must be an id (kukan keys create prints it): {args.principal!r}"
        ) from None
    area = None if args.clear else read_area(args.file)
    with session_scope(factory(settings)) as session:
        who = authority.set_jurisdiction(
            session=session, actor=None, principal_id=principal_id, geometry=area
        )
        state = "governs nothing" if who.jurisdiction is None else "governs the area given"
        print(f"municipality {who.name!r} ({who.id}) {state}")


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan grant`` and ``kukan jurisdiction``."""
    grant = sub(
        subs,
        "grant",
        "set an operator's priority grant (ordinary operators: 0, no preemption)",
        "kukan grant 'City Ambulance Drones' --max-priority 100 --may-preempt",
    )
    grant.add_argument("operator", help="operator id or exact name")
    grant.add_argument(
        "--max-priority", type=int, required=True, help="highest priority it may book (0..100)"
    )
    grant.add_argument(
        "--may-preempt", action="store_true", help="a higher priority displaces lower ones"
    )
    grant.set_defaults(func=cmd_grant)
    area = sub(
        subs,
        "jurisdiction",
        "set the area a municipality key governs (restrictions only inside it)",
        "kukan jurisdiction 5f0c...-principal-id city.geojson",
    )
    area.add_argument("principal", help="the municipality principal's id")
    area.add_argument("file", nargs="?", help="GeoJSON Polygon/MultiPolygon, Feature of one")
    area.add_argument("--clear", action="store_true", help="govern nothing")
    area.set_defaults(func=cmd_jurisdiction)
