"""The layer rules of DESIGN.md §2, checked on the source (no package may import upwards)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"spatialid", "routing", "registry", "api", "migrations"}
ALLOWED = {
    "spatialid": {"spatialid"},
    "routing": {"routing", "spatialid"},
    "registry": {"registry", "spatialid", "routing"},
    "migrations": {"migrations", "registry"},
    "api": OURS,
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of our packages imported anywhere in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    bad = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) - ALLOWED[package]
    }
    assert bad == {}, f"{package} breaks the import rules of DESIGN.md §2: {bad}"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import api.app\nfrom registry import models\nimport numpy\n")
    assert imported_packages(module) == {"api", "registry"}
