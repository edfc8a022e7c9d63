"""In CI a skipped test fails the run, unless it is marked ``optional``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.settings import REPO_ROOT

PROBE = """
import pytest

def test_required():
    pytest.skip("no engine here")

@pytest.mark.optional
def test_optional():
    pytest.skip("no engine here")

@pytest.fixture()
def engine():
    pytest.skip("no engine here")

def test_needs_a_fixture(engine):
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_known_failure():
    assert False

def test_passes():
    pass
"""


def _run(tmp_path: Path, ci: bool) -> str:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if ci:
        env["CI"] = "true"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.conftest",
        "-p",
        "no:cacheprovider",
        "-rA",
        "test_probe.py",
    ]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return out.stdout + out.stderr


def test_in_ci_a_skip_fails_unless_optional(tmp_path: Path) -> None:
    out = _run(tmp_path, ci=True)
    assert (
        "FAILED test_probe.py::test_required - skipped in CI, where every test is "
        "required: no engine here" in out
    ), out
    assert "ERROR test_probe.py::test_needs_a_fixture - skipped in CI" in out, out
    assert "SKIPPED [1] test_probe.py:9: no engine here" in out, out  # the optional one
    assert "XFAIL test_probe.py::test_known_failure" in out, out
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed, 1 error" in out, out


def test_outside_ci_a_skip_is_a_skip(tmp_path: Path) -> None:
    out = _run(tmp_path, ci=False)
    assert "1 passed, 3 skipped, 1 xfailed in" in out, out
