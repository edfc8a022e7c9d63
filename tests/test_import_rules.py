"""The import rules of docs/architecture.md, read from its table and checked on the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
NOT_LAYERS = ("tests", "bench")
"""Not layers: they may import anything, and nothing may import them."""

Rules = dict[str, frozenset[str]]


def parse_rules(doc: str) -> Rules:
    """The rows between the import-rules markers: ``| `a`, `b` | `x`, `y` |`` -> rules."""
    block = re.search(r"<!-- import-rules:.*?-->(.*?)<!-- /import-rules -->", doc, re.S)
    assert block, "docs/architecture.md has no import-rules block"
    rules: dict[str, frozenset[str]] = {}
    for line in block.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        allowed = frozenset(re.findall(r"`([\w.]+)`", cells[1]))
        for name in re.findall(r"`([\w.]+)`", cells[0]):
            assert name not in rules, f"{name} has two rows"
            rules[name] = allowed
    return rules


RULES = parse_rules(DOC.read_text(encoding="utf-8"))
LAYERS = sorted(name for name in RULES if "." not in name)
OURS = {*LAYERS, *NOT_LAYERS}


def covers(prefix: str, module: str) -> bool:
    """True iff ``module`` is ``prefix`` or inside it."""
    return module == prefix or module.startswith(prefix + ".")


def rule_of(module: str, rules: Rules) -> str | None:
    """The row a module follows: the longest name that is it or one of its packages."""
    keys = [k for k in rules if covers(k, module)]
    return max(keys, key=len) if keys else None


def module_name(path: Path, root: Path) -> str:
    """``registry/services/vehicles.py`` -> ``registry.services.vehicles``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """Dotted names of our modules (or names in them) that ``path`` imports, relative
    imports resolved; ``from a import b`` counts as ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return {n for n in names if n.split(".")[0] in OURS}


def violations(root: Path, rules: Rules) -> dict[str, list[str]]:
    """Each of our modules under ``root`` with the imports its row does not allow."""
    bad: dict[str, list[str]] = {}
    for layer in sorted(k for k in rules if "." not in k):
        for path in sorted((root / layer).rglob("*.py")):
            module = module_name(path, root)
            row = rule_of(module, rules)
            assert row is not None
            wrong = sorted(
                name
                for name in imported_modules(path, root)
                if not any(covers(a, name) for a in rules[row])
            )
            if wrong:
                bad[str(path.relative_to(root))] = wrong
    return bad


def test_every_module_imports_only_what_its_row_allows() -> None:
    assert violations(ROOT, RULES) == {}, "imports that docs/architecture.md does not allow"


def test_every_package_has_a_row() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - set(NOT_LAYERS)
    assert packages == set(LAYERS), "each top-level package needs a row in the doc's table"


@pytest.mark.parametrize("row", sorted(k for k in RULES if "." in k))
def test_a_row_inside_a_package_only_narrows_the_package_row(row: str) -> None:
    parent = rule_of(row.rsplit(".", 1)[0], RULES)
    assert parent is not None
    wider = sorted(a for a in RULES[row] if not any(covers(p, a) for p in RULES[parent]))
    assert wider == [], f"{row} allows what {parent} does not"


def test_the_rules_keep_the_layers() -> None:
    def may(layer: str, other: str) -> bool:
        return any(covers(other, a) or covers(a, other) for a in RULES[layer])

    both = [k for k in LAYERS if may(k, "routing") and may(k, "registry")]
    # planning is the one use-case layer; api wires all; simulation drives planning as api does
    assert both == ["api", "planning", "simulation"]
    assert [k for k in RULES if may(k, "api")] == ["api"]  # nothing imports api
    assert not any(may(k, n) for k in RULES for n in NOT_LAYERS)
    assert RULES["spatialid"] == {"spatialid"}
    assert RULES["routing"] == {"routing", "spatialid"}
    assert RULES["registry"] == {"registry", "spatialid"}


def test_the_checker_sees_forbidden_imports(tmp_path: Path) -> None:
    (tmp_path / "registry" / "services").mkdir(parents=True)
    (tmp_path / "registry" / "models").mkdir()
    (tmp_path / "routing").mkdir()
    files = {
        "registry/__init__.py": "",
        "registry/services/__init__.py": "from registry.models import Base\n",
        "registry/services/a.py": "import routing.grid\nfrom planning import routes\nimport os\n",
        "registry/models/__init__.py": "from ..services import a\nfrom . import base\n",
        "registry/models/base.py": "from tests.conftest import Key\n",
        "routing/__init__.py": "from api.app import create_app\nfrom routing import grid\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    rules = {
        "registry": frozenset({"registry", "spatialid"}),
        "registry.models": frozenset({"registry.models"}),
        "routing": frozenset({"routing", "spatialid"}),
    }
    assert violations(tmp_path, rules) == {
        "registry/services/a.py": ["planning.routes", "routing.grid"],
        "registry/models/__init__.py": ["registry.services.a"],
        "registry/models/base.py": ["tests.conftest.Key"],
        "routing/__init__.py": ["api.app.create_app"],
    }


def test_the_rules_are_read_from_the_doc() -> None:
    table = """<!-- import-rules: x -->
| module | may import |
|---|---|
| `a` | `a`, `b.c` |
| `a.x`, `a.y` | `a.x` |
<!-- /import-rules -->
| `z` | `z` |"""
    assert parse_rules(table) == {
        "a": {"a", "b.c"},
        "a.x": {"a.x"},
        "a.y": {"a.x"},
    }
