"""``kukan demo load``: the demo city (central Helsinki, © OpenStreetMap contributors, ODbL)."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from api.cli_common import factory, progress, sub
from api.settings import REPO_ROOT, Settings

DEMO_PBF = REPO_ROOT / "data" / "helsinki.osm.pbf"


def _write_keys(path: Path, body: dict[str, object]) -> None:
    """Write the demo tokens, readable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(body, out, indent=2)
    os.chmod(path, 0o600)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    """Load the demo map, operators, principals of every role, vehicles and plans."""
    from api.cli_import import summary
    from registry.db import session_scope
    from registry.importers import demo
    from registry.models import Role
    from registry.services import operators

    t0 = time.perf_counter()
    with session_scope(factory(settings)) as session:
        if args.if_empty and operators.any_operator_exists(session=session):
            demo.govern_the_city(session)  # a town loaded before jurisdictions gets one
            print("demo: operators already exist; nothing loaded")
            return
        with progress() as report:
            written = demo.load_map(session=session, pbf=Path(args.osm), report=report)
        loaded = demo.load_people(session=session)
    print("demo: " + summary(written, time.perf_counter() - t0))
    print("demo: map data © OpenStreetMap contributors, ODbL 1.0 (see data/README.md)")
    if loaded is None:
        print(f"demo: operator {demo.DRONES!r} already exists; people and keys unchanged")
        return
    tokens = loaded.tokens
    _write_keys(
        settings.demo_keys_file,
        {
            "operator_id": str(loaded.operator_id),
            "tokens": {
                str(role): tokens[role] for role in (Role.OPERATOR, Role.MUNICIPALITY, Role.ADMIN)
            },
            "fleet": {"operator_id": str(loaded.fleet_operator_id), "token": tokens[Role.FLEET]},
        },
    )
    print(
        f"demo: loaded operators {demo.DRONES!r} ({loaded.operator_id}) and {demo.GROUND!r}, "
        f"a no-fly zone and {len(loaded.reservation_ids)} reservations; "
        f"tokens in {settings.demo_keys_file}"
    )


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan demo load``."""
    demo = sub(subs, "demo", "demo data", "kukan demo load --if-empty")
    demo_subs = demo.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = sub(
        demo_subs,
        "load",
        "load the demo city (central Helsinki from OpenStreetMap: buildings, roads) with demo "
        "operators, vehicles, a no-fly zone and reservations; tokens go to "
        "KUKAN_DEMO_KEYS_FILE (default .data/demo-keys.json). Map data © OpenStreetMap "
        "contributors, ODbL.",
        "kukan demo load --if-empty",
    )
    load.add_argument("--if-empty", action="store_true", help="do nothing if operators exist")
    load.add_argument(
        "--osm", default=str(DEMO_PBF), help="the extract (default: the vendored one)"
    )
    demo.set_defaults(func=cmd_demo)
