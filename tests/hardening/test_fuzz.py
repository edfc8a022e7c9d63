"""Property-based fuzzing of the whole /openapi.json with schemathesis and all its checks.

The schemathesis CLI runs every phase (examples, coverage, fuzzing, stateful) with every
check against a server on a database of its own, as admin and as operator. It must end
with no failure outside the reviewed baseline (``schemathesis-baseline.json``, each entry
with the reason the API answers so). Operations that still reject most generated data
(the ``validation_mismatch`` warning: rules the schema does not state yet, mostly
cross-field ones) are listed in ``MISMATCH_KNOWN``; the list may only shrink. The seed is
fixed, so the suite gives the same answer on every machine; ``KUKAN_FUZZ_SEED=random``
explores with a new seed each run (a find there goes into the hooks or the baseline).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from api.app import create_app
from api.settings import Settings
from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.services import operators, principals, vehicles
from tests.pgtools import drop_database, recreate_database, serve, with_database
from tests.platform.test_cli import kukan
from tests.routes.conftest import osm_xml

HOOKS = "tests.hardening.fuzz_hooks"
"""The cross-field rules the schema cannot state, applied to positive cases only."""
CORNER = (139.70, 35.60)
"""Where the fuzz server's footways start (the hooks put generated geometry near them)."""
EXAMPLES = 10  # per operation and phase: two roles x all phases stay around a minute
SEED = "20261202"
BASELINE = Path(__file__).with_name("schemathesis-baseline.json")
MISMATCH_KNOWN = {"PATCH /v1/vehicles/{vehicle_id}"}
"""Operations schemathesis may find rejecting most schema-valid data (the list may only
shrink). ``PATCH /v1/vehicles/{vehicle_id}``: an identifier must fit the vehicle's kind; the
schema states it when the update names the kind, but without one the stored kind decides, a
state rule no schema can state. Since the schema states the rule for a named kind, runs with
the fixed and with a random seed reported no mismatch; it stays tolerated, not expected."""
STREAM = "/v1/events/stream"
"""Left out: an event stream stays open for as long as it is asked to (its schema allows
hours), and a drawn request without ``timeout_s`` stays open the server's limit; its
refusals and its replay are tested over HTTP in ``tests/events/test_event_stream.py``."""
CONFIG = """\
[warnings]
display = ["validation_mismatch"]
"""
OPERATION = re.compile(r"^\s*- ((?:GET|POST|PATCH|PUT|DELETE) \S+)")


NONE_LINK = re.compile(r"curl [^\n]*http://[^\s/]+(?:/[^\s/]+)*/None(?:/|\s|$)")
"""A request whose path schemathesis filled with ``None``: a link it inferred from a list
response that came back empty (the text ``None`` is no UUID, so the API rightly says 422)."""


def real_failures(report: str) -> list[str]:
    """The failures of a report, without schema-valid-request-rejected ones (ST202) sent to a
    ``None`` path from an empty list's inferred link."""
    section = report.split("FAILURES", 1)[-1].split("SUMMARY", 1)[0]
    blocks = re.split(r"\n\s*\d+\. Test Case ID: ", section)[1:]
    return [b for b in blocks if not ("ST202" in b and NONE_LINK.search(b))]


def mismatched(report: str) -> set[str]:
    """The operations listed under the ``Schema validation mismatch`` warning."""
    found: set[str] = set()
    inside = False
    for line in report.splitlines():
        if "mostly rejected generated data" in line and "operation" in line:
            inside = True
        elif inside and (m := OPERATION.match(line)):
            found.add(m.group(1))
        elif inside and line.strip().startswith("💡"):
            inside = False
    return found


@pytest.fixture(scope="module")
def fuzz_target(
    base_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """A server on a throwaway ``<db>_fuzz`` database with footways and vehicles, a token
    per role, and the variables that tell the hooks about them."""
    url = with_database(base_database_url, f"{make_url(base_database_url).database}_fuzz")
    recreate_database(url)
    migrate.upgrade(url)
    roads = tmp_path_factory.mktemp("fuzz") / "footways.osm"
    roads.write_text(osm_xml(CORNER))
    r = kukan("import", "osm", str(roads), "--source", "fuzz", "--no-buildings", url=url)
    assert r.returncode == 0, r.stdout + r.stderr
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    owned: dict[str, str] = {}
    with session_scope(make_sessionmaker(engine)) as session:
        op = operators.create_operator(session=session, actor=None, name="fuzz").id
        for name, kind, speed in (("drone", "drone", 15.0), ("robot0", "robot", 1.5),
                                  ("robot1", "robot", 1.5), ("robot2", "robot", 1.5),
                                  ("spare", "drone", 10.0)):  # fmt: skip
            made = vehicles.create_vehicle(
                session=session, actor=None, name=f"fuzz {name}", kind=kind,
                max_speed_mps=speed, operator_id=op,
            )  # fmt: skip
            owned[name] = str(made.id)
        for role in ("admin", "operator"):
            _, tokens[role] = principals.create_principal(
                session=session,
                actor=None,
                name=f"fuzz-{role}-{uuid.uuid4().hex[:8]}",
                role=role,
                operator_id=op,  # the admin of an operator: its vehicles default to it
            )
    engine.dispose()
    settings = Settings(
        database_url=url,
        cover_max_voxels=5_000,
        page_size_max=100,
        route_budget_s=10,
        webhook_allow_private=True,
    )
    try:
        with serve(create_app(settings)) as base:
            yield (
                base,
                tokens,
                {
                    "SCHEMATHESIS_HOOKS": HOOKS,
                    "PYTHONPATH": str(Path(__file__).parents[2]),
                    "KUKAN_FUZZ_CORNER": f"{CORNER[0]},{CORNER[1]}",
                    "KUKAN_FUZZ_VEHICLES": ",".join(f"{k}={v}" for k, v in owned.items()),
                    "KUKAN_FUZZ_OPERATOR": str(op),
                },
            )
    finally:
        drop_database(url)


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_fuzz_every_operation_with_all_checks(
    role: str, fuzz_target: tuple[str, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    base, tokens, hooks = fuzz_target
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    tool = Path(sys.executable).parent / "schemathesis"
    cmd = [
        str(tool), "--config-file", str(config), "run", f"{base}/openapi.json",
        "--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1",
        "--request-timeout", "30", "--baseline", str(BASELINE),
        "-H", f"Authorization: Bearer {tokens[role]}", "--exclude-path", STREAM,
    ]  # fmt: skip
    seed = os.environ.get("KUKAN_FUZZ_SEED") or SEED  # replays a run's "Seed:" line
    if seed != "random":  # KUKAN_FUZZ_SEED=random explores (a new seed each run)
        cmd += ["--seed", seed]
    if har := os.environ.get("KUKAN_FUZZ_HAR_DIR"):  # every request and answer, to debug
        cmd += ["--report", "har", "--report-dir", f"{har}/{role}"]
    env = {**os.environ, **hooks}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env)
    report = out.stdout + out.stderr
    assert "Selected: " in report and "Tested: " in report, report[-3000:]
    if out.returncode != 0 and real_failures(report):  # a failure outside the baseline
        pytest.fail(report[-12000:], pytrace=False)
    if new := mismatched(report) - MISMATCH_KNOWN:
        pytest.fail(f"schema mismatch on {sorted(new)}\n{report[-6000:]}", pytrace=False)


def test_only_none_link_rejections_are_set_aside() -> None:
    block = (
        "{n}. Test Case ID: abc{n}\n- {code} Schema-valid request rejected\n"
        "    curl -X GET -H 'Authorization: [Filtered]' http://127.0.0.1:1/v1/{path}\n"
    )
    report = "FAILURES\n{}\nSUMMARY\n"
    none = block.format(n=1, code="ST202", path="operators/None/grant")
    real = block.format(n=2, code="ST202", path="operators/5/grant")
    other = block.format(n=3, code="ST201", path="reservations/None")
    assert real_failures(report.format(none)) == []
    assert len(real_failures(report.format(none + real + other))) == 2
