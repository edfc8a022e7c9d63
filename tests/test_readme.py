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
