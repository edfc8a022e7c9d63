"""The Docker image holds what its entrypoint reads, and the compose file stays valid."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import PurePosixPath

import pytest

from api.settings import REPO_ROOT

DOCKER = REPO_ROOT / "docker"


def _copied() -> dict[PurePosixPath, str]:
    """Image path -> repository path of each ``COPY`` in the Dockerfile (WORKDIR /app)."""
    text = (DOCKER / "Dockerfile").read_text()
    workdir = PurePosixPath(re.search(r"^WORKDIR (\S+)", text, re.M).group(1))  # type: ignore[union-attr]
    copies: dict[PurePosixPath, str] = {}
    for src, dst in re.findall(r"^COPY (\S+) (\S+)$", text, re.M):
        copies[workdir / dst] = src
    return copies


def test_every_app_path_of_the_entrypoint_is_copied_into_the_image() -> None:
    used = re.findall(r"(/app/\S+)", (DOCKER / "entrypoint.sh").read_text())
    assert used, "the entrypoint names the demo extract it loads"
    copies = _copied()
    for path in map(PurePosixPath, used):
        dst = next((d for d in copies if path == d or d in path.parents), None)
        assert dst is not None, f"{path} is not in the image"
        in_repo = REPO_ROOT / copies[dst] / path.relative_to(dst)
        assert in_repo.exists(), f"{path} comes from {in_repo}, which does not exist"


def test_the_demo_keys_go_to_a_writable_volume_not_site_packages() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    keys = re.search(r"KUKAN_DEMO_KEYS_FILE=(\S+)", text)
    assert keys is not None
    folder = str(PurePosixPath(keys.group(1)).parent)
    assert f"VOLUME {folder}" in text
    assert f"chown kukan {folder}" in text
    assert f"{folder}" in (DOCKER / "compose.yml").read_text()


def _compose() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.optional
def test_compose_config_is_valid() -> None:
    compose = _compose()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    out = subprocess.run(
        [*compose, "-f", str(DOCKER / "compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
