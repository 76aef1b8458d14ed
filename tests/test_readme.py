"""The README's quick start runs as printed, and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs_and_prints_what_it_claims() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a Python quick start"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    claimed = [
        line.split("#", 1)[1].strip()
        for line in blocks[0].splitlines()
        if line.startswith("print(") and "#" in line
    ]
    assert len(claimed) >= 5
    # each commented print: every part of the comment (split at "...") appears in one line
    for claim in claimed:
        parts = claim.split(" ... ")
        assert any(all(part in line for part in parts) for line in printed), (claim, printed)
