"""The README's library example runs and prints what the README says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_library_example_runs() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The spatial ID library in five lines") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    assert len(code.group(1).strip().splitlines()) == 5
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(README), "exec"), {})
    printed = out.getvalue()
    assert printed.startswith("20/3/931389/412906 (139.767036")
    assert "19/1/465694/206453 81833 [Voxel(z=18" in printed


README_JA = README.with_name("README.ja.md")
CODE = re.compile(r"```(sh|bash|python)\n(.*?)```", re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_setting_is_in_both_readmes() -> None:
    from api.settings import Settings

    for readme in (README, README_JA):
        first_cells = " ".join(
            line.split("|")[1]
            for line in readme.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `KUKAN_")
        )
        for field in Settings.model_fields:
            name = f"`KUKAN_{field.upper()}`"
            assert name in first_cells, f"{name} not in the settings table of {readme.name}"


def test_the_japanese_readme_keeps_in_step() -> None:
    en = README.read_text(encoding="utf-8")
    ja = README_JA.read_text(encoding="utf-8")
    assert "(README.ja.md)" in en and "(README.md)" in ja
    for level in ("## ", "### "):
        count = [sum(line.startswith(level) for line in t.splitlines()) for t in (en, ja)]
        assert count[0] == count[1], f"{level.strip()} sections: {count}"
    assert CODE.findall(en) == CODE.findall(ja), "the commands differ"
    assert set(re.findall(r"KUKAN_[A-Z0-9_]+", en)) == set(re.findall(r"KUKAN_[A-Z0-9_]+", ja))


def test_links_stay_inside_the_repository() -> None:
    for readme in (README, README_JA):
        for target in LINK.findall(readme.read_text(encoding="utf-8")):
            assert "://" not in target, f"{readme.name} links outside: {target}"
            path = target.split("#")[0]
            if path:
                assert (readme.parent / path).exists(), f"{readme.name}: {target} is missing"
