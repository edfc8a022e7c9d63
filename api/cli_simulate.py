"""``kukan simulate``: fly a scenario's demand through the design arms and compare them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from api.cli_common import CliError, factory, progress, sub
from api.settings import Settings

EXAMPLE = "kukan simulate --arms none,cells,voxels --demand 900 --duration 600 --json out.json"
COLUMNS = (
    ("accepted", "accepted"),
    ("rejected", "rejected"),
    ("LoS", "los_events"),
    ("LoS/fh", "los_per_flight_hour"),
    ("delay mean s", ("delay_s", "mean")),
    ("delay p95 s", ("delay_s", "p95")),
    ("conformance", "conformance"),
    ("run s", "run_s"),
)


def _positive(kind: type, name: str) -> Any:
    def parse(raw: str) -> Any:
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be a number > 0, got {raw!r}")
        return value

    return parse


def _cell(result: dict[str, Any], key: str | tuple[str, str]) -> str:
    value = result[key[0]][key[1]] if isinstance(key, tuple) else result.get(key)
    if value is None:
        return "-"
    if key == "conformance":
        return f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3g}"


def summary(document: dict[str, Any]) -> Any:
    """The arms side by side as a rich table."""
    from rich.table import Table

    sc = document["scenario"]
    table = Table(
        title=f"{sc['demand_per_hour']:,.0f} flights/h for {sc['duration_s']:,.0f} s, "
        f"seed {sc['seed']}"
    )
    table.add_column("arm")
    for title, _ in COLUMNS:
        table.add_column(title, justify="right")
    for arm, result in document["arms"].items():
        table.add_row(arm, *(_cell(result, key) for _, key in COLUMNS))
    return table


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> None:
    """Run the arms on the scenario (a file, else the built-in demo) and print the table."""
    from rich.console import Console

    from simulation import scenarios
    from simulation.arms import check_arms, run_arms
    from simulation.voxel_run import VOXEL_ARMS

    change = {
        k: v
        for k, v in (
            ("demand_per_hour", args.demand),
            ("duration_s", args.duration),
            ("seed", args.seed),
        )
        if v is not None
    }
    try:
        sc = (
            scenarios.load(args.scenario, **change)
            if args.scenario
            else scenarios.built_in(args.built_in, **change)
        )
        arms = check_arms([a.strip() for a in args.arms.split(",") if a.strip()])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    sessions = factory(settings) if any(a in VOXEL_ARMS for a in arms) else None
    with progress() as report:
        ticks: dict[str, tuple[Any, list[int]]] = {}

        def on_progress(arm: str, n: int, total: int) -> None:
            if arm not in ticks:
                ticks[arm] = (report(f"arm {arm}", total), [0])
            tick, done = ticks[arm]
            tick(n - done[0])
            done[0] = n

        document = run_arms(sc, arms, sessions, on_progress)
    console = Console()
    Console(width=max(console.width, 120)).print(summary(document))
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"simulate: wrote {args.json}")


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan simulate``."""
    from simulation.demand import ARMS
    from simulation.scenarios import BUILT_IN

    p = sub(subs, "simulate", "fly a scenario through the design arms and compare", EXAMPLE)
    p.add_argument("scenario", nargs="?", help="a scenario file (YAML or JSON)")
    p.add_argument(
        "--built-in",
        default="demo",
        choices=sorted(BUILT_IN),
        help="the built-in scenario without a file (default demo)",
    )
    p.add_argument("--arms", default=",".join(ARMS), help=f"comma list of {', '.join(ARMS)}")
    p.add_argument("--demand", type=_positive(float, "--demand"), help="flights per hour")
    p.add_argument("--duration", type=_positive(float, "--duration"), help="seconds simulated")
    p.add_argument("--seed", type=int, help="the random seed (same seed, same numbers)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.set_defaults(func=cmd_simulate)
