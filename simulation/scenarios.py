"""Scenario files and the built-in ones.

A scenario file is YAML (or JSON, which YAML reads) with the fields of
:class:`simulation.demand.Scenario`; ``demo`` is the built-in scenario of ``kukan simulate``
without a file: a quarter hour of deliveries over the demo city (central Helsinki, where
``make run`` loads the buildings and the no-fly zone). ``delivery-hour`` is the benchmark's
hour: 15 km x 15 km around it, 1,667 flights an hour in the 30-150 m band, errors of 5 m
lateral, 2 m vertical and 0.5 m/s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulation.demand import Scenario

BUILT_IN: dict[str, dict[str, Any]] = {
    "demo": {
        "bbox": (24.925, 60.160, 24.965, 60.180),
        "duration_s": 900,
        "demand_per_hour": 600,
        "trip_m": (500, 2000),
        "band_m": (30, 150),
        "seed": 1,
    },
    "delivery-hour": {
        "bbox": (24.805, 60.1025, 25.075, 60.2375),
        "duration_s": 3600,
        "demand_per_hour": 1667,
        "trip_m": (1000, 5000),
        "band_m": (30, 150),
        "lateral_sigma_m": 5.0,
        "vertical_sigma_m": 2.0,
        "speed_sigma_mps": 0.5,
        "seed": 1,
    },
}


class ScenarioError(ValueError):
    """A scenario file that cannot be read or does not validate (names the field)."""


def built_in(name: str, **change: Any) -> Scenario:
    """A built-in scenario by name, with fields changed."""
    if name not in BUILT_IN:
        raise ScenarioError(f"no built-in scenario {name!r}; there are {', '.join(BUILT_IN)}")
    return validated({**BUILT_IN[name], **change}, name)


def validated(data: Any, where: str) -> Scenario:
    """``data`` as a scenario, or a :class:`ScenarioError` naming the first bad field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(scenario)"
        raise ScenarioError(f"{where}: {field}: {first['msg']}") from None


def load(path: str | Path, **change: Any) -> Scenario:
    """The scenario in a YAML or JSON file, with fields changed (e.g. from the command line)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise ScenarioError(f"{p}: not YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{p}: a scenario is a mapping of fields")
    return validated({**data, **change}, str(p))
