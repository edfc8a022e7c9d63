"""``kukan simulate``: fly a scenario's demand through the design arms and compare them."""

from __future__ import annotations

import argparse
import json
import os
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


def _list(kind: type, name: str) -> Any:
    def parse(raw: str) -> list[Any]:
        try:
            values = [kind(v) for v in raw.split(",") if v.strip()]
        except ValueError:
            values = []
        if not values or any(v < 0 for v in values):
            raise argparse.ArgumentTypeError(f"{name} must be a comma list of numbers, got {raw!r}")
        return values

    return parse


def sweep_table(document: dict[str, Any]) -> Any:
    """A sweep's seeds-averaged metrics per arm and demand, with each arm's C95."""
    from rich.table import Table

    summary = document["summary"]
    table = Table(
        title=f"{len(document['sweep']['seeds'])} seed(s); C95 with LoS/fh <= "
        f"{summary['los_threshold']}"
    )
    for title in ("arm", "demand/h", "accepted", "acceptance", "LoS/fh", "delay mean s",
                  "conformance", "C95"):  # fmt: skip
        table.add_column(title, justify="left" if title == "arm" else "right")
    for arm, rows in summary["by_arm"].items():
        c95 = summary["c95"][arm]
        for demand, row in rows.items():
            conf = row["conformance"]
            table.add_row(
                arm, f"{float(demand):,.0f}", f"{row['accepted']:,.1f}",
                f"{row['acceptance']:.1%}", f"{row['los_per_flight_hour']:.3g}",
                f"{row['delay_mean_s']:,.1f}", "-" if conf is None else f"{conf:.1%}",
                "-" if c95 is None else f"{c95:,.0f}",
            )  # fmt: skip
    return table


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> None:
    """Run the arms on the scenario (a file, else a built-in one) and print the table; many
    runs (several arms, demands or seeds) go to Dask workers in parallel."""
    from rich.console import Console

    from simulation import scenarios
    from simulation.arms import check_arms, run_arms
    from simulation.sweep import sweep
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
    demands = args.demands or [sc.demand_per_hour]
    seeds = args.seeds or [sc.seed]
    cells = len(arms) * len(demands) * len(seeds)
    workers = args.workers or min(cells, os.cpu_count() or 1)
    voxels = any(a in VOXEL_ARMS for a in arms)
    console = Console()
    wide = Console(width=max(console.width, 120))
    with progress() as report:
        if cells > 1 and (workers > 1 or args.scheduler or len(demands) * len(seeds) > 1):
            tick = report(f"{cells} runs on {args.scheduler or f'{workers} workers'}", cells)
            done = [0]

            def on_cell(n: int, total: int) -> None:
                tick(n - done[0])
                done[0] = n

            document = sweep(
                sc, arms, demands, seeds,
                database_url=settings.database_url if voxels else None,
                scheduler=args.scheduler, workers=workers,
                los_threshold=args.los_threshold, progress=on_cell,
            )  # fmt: skip
            if len(demands) * len(seeds) == 1:
                document["arms"] = {r["arm"]: r for r in document["runs"]}
        else:
            ticks: dict[str, tuple[Any, list[int]]] = {}

            def on_progress(arm: str, n: int, total: int) -> None:
                if arm not in ticks:
                    ticks[arm] = (report(f"arm {arm}", total), [0])
                tick, done = ticks[arm]
                tick(n - done[0])
                done[0] = n

            sessions = factory(settings) if voxels else None
            document = run_arms(sc, arms, sessions, on_progress)
    wide.print(summary(document) if "arms" in document else sweep_table(document))
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
    p.add_argument(
        "--demands", type=_list(float, "--demands"), help="sweep: flights/h, e.g. 500,1667"
    )
    p.add_argument("--seeds", type=_list(int, "--seeds"), help="sweep: seeds, e.g. 1,2,3")
    p.add_argument(
        "--workers", type=_positive(int, "--workers"), help="local Dask workers (default: cores)"
    )
    p.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786) to go wider")
    p.add_argument(
        "--los-threshold", type=float, default=0.1, help="LoS per flight-hour for C95 (default 0.1)"
    )
    p.set_defaults(func=cmd_simulate)
