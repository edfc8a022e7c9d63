"""scripts/devdb.sh and api.settings agree on where the private cluster lives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from api.settings import REPO_ROOT, devdb_dir

SCRIPT = REPO_ROOT / "scripts" / "devdb.sh"


def _where(env: dict[str, str]) -> Path:
    out = subprocess.run(
        [str(SCRIPT), "where"], capture_output=True, text=True, check=True, env=env
    )
    return Path(out.stdout.strip())


def test_script_and_settings_agree_on_the_cluster_folder() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KUKAN_DEVDB_DIR"}
    saved = os.environ.pop("KUKAN_DEVDB_DIR", None)
    try:
        assert _where(env) == devdb_dir()
    finally:
        if saved is not None:
            os.environ["KUKAN_DEVDB_DIR"] = saved


def test_the_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUKAN_DEVDB_DIR", str(tmp_path / "db"))
    assert _where(dict(os.environ)) == tmp_path / "db" == devdb_dir()


@pytest.mark.optional
@pytest.mark.skipif(os.geteuid() != 0, reason="the root layout applies to root only")
def test_as_root_the_cluster_is_outside_a_fresh_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "k"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "scripts" / "devdb.sh").write_bytes(SCRIPT.read_bytes())
    (checkout / "scripts" / "devdb.sh").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "KUKAN_DEVDB_DIR"}
    out = subprocess.run(
        [str(checkout / "scripts" / "devdb.sh"), "where"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    where = Path(out.stdout.strip())
    assert where.parent.name == "kukan"
    assert where.name.startswith("k-")
    assert not where.is_relative_to(checkout.resolve())
    assert where == devdb_dir(checkout.resolve())
