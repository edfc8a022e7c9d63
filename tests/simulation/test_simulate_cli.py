"""``kukan simulate`` as a subprocess against the test database: the summary table, the
JSON document under the names scripts rely on, and clear one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.platform.test_cli import kukan

AREA = "bbox: [141.400, 38.600, 141.412, 38.609]\n"


def test_a_scenario_file_runs_every_asked_arm_into_the_json(
    database_url: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "town.yaml"
    scenario.write_text(
        AREA + "duration_s: 120\ndemand_per_hour: 600\ntrip_m: [300, 800]\nseed: 4\n"
    )
    out = tmp_path / "out.json"
    r = kukan(
        "simulate", str(scenario), "--arms", "none,cells,volumes,voxels-delay,voxels",
        "--duration", "240", "--json", str(out), url=database_url,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "voxels-delay" in r.stdout and "conformance" in r.stdout
    doc = json.loads(out.read_text())
    assert doc["scenario"]["duration_s"] == 240 and doc["scenario"]["seed"] == 4
    assert list(doc["arms"]) == ["none", "cells", "volumes", "voxels-delay", "voxels"]
    for arm, result in doc["arms"].items():
        for key in ("requested", "accepted", "rejected", "los_events", "los_per_flight_hour"):
            assert isinstance(result[key], int | float), (arm, key)
        assert set(result["delay_s"]) == {"mean", "p95", "max"}
        assert "conformance" in result
        assert result["requested"] == doc["arms"]["none"]["requested"] > 0


def test_the_built_in_demo_runs_without_a_database_for_the_coarse_arms(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    r = kukan(
        "simulate", "--arms", "none,cells", "--duration", "120", "--seed", "9",
        "--json", str(out), url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["scenario"]["seed"] == 9 and set(doc["arms"]) == {"none", "cells"}


@pytest.mark.parametrize(
    ("content", "args", "says"),
    [
        (AREA + "demand_per_hour: -3\n", [], "demand_per_hour"),
        (AREA + "wind: 3\n", [], "wind"),
        ("bbox: [1, 2\n", [], "not YAML"),
        (AREA, ["--arms", "none,warp"], "unknown arm 'warp'"),
        (AREA, ["--demand", "0"], "--demand must be a number > 0"),
    ],
)
def test_bad_scenarios_and_arguments_give_one_line(
    database_url: str, tmp_path: Path, content: str, args: list[str], says: str
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(content)
    r = kukan("simulate", str(scenario), *args, url=database_url)
    assert r.returncode != 0
    assert says in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_missing_file_is_named(database_url: str, tmp_path: Path) -> None:
    r = kukan("simulate", str(tmp_path / "nope.yaml"), url=database_url)
    assert r.returncode == 1 and "nope.yaml: cannot read" in r.stderr


def test_a_sweep_from_the_command_line_writes_runs_and_their_summary(
    database_url: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "town.yaml"
    scenario.write_text(AREA + "duration_s: 120\ntrip_m: [300, 800]\n")
    out = tmp_path / "sweep.json"
    r = kukan(
        "simulate", str(scenario), "--arms", "cells,voxels", "--demands", "300,600",
        "--seeds", "1,2", "--workers", "2", "--json", str(out), url=database_url,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert len(doc["runs"]) == 8 and doc["sweep"]["seeds"] == [1, 2]
    assert set(doc["summary"]["c95"]) == {"cells", "voxels"}
    assert "C95" in r.stdout
