"""Start-up: how long a new process takes to import descend, show the CLI's help, minimize a
typed function, and make its first GDRegressor fit, against ``python -c "import numpy"``
measured in the same run.

Targets: ``import descend`` ≤ 2× numpy's import, ``descend --help`` ≤ 4×, ``descend minimize
"x**2 + y**2" --x0 3,4`` ≤ 1 s, and the first ``GDRegressor().fit`` on 50 rows in a new
process (its compiled kernels cached on disk by an earlier run) ≤ 0.5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PYTHON = sys.executable
DESCEND = [PYTHON, "-m", "descend"]
FIRST_FIT = (
    "import time; t0 = time.perf_counter(); import numpy as np; from descend import GDRegressor; "
    "t1 = time.perf_counter(); rng = np.random.default_rng(0); X = rng.normal(size=(50, 3)); "
    "y = X @ [1.0, 2.0, 3.0] + 0.5; GDRegressor().fit(X, y); "
    "print(t1 - t0, time.perf_counter() - t1)"
)


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _best(cmd: list[str], repeat: int) -> float:
    return min(_wall(cmd) for _ in range(repeat))


def _inner(code: str, repeat: int) -> tuple[float, ...]:
    """The best times a fresh interpreter reports for ``code`` (which prints its own seconds)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([PYTHON, "-c", code], check=True, capture_output=True, text=True)
        runs.append(tuple(float(s) for s in out.stdout.strip().splitlines()[-1].split()))
    return tuple(min(column) for column in zip(*runs, strict=True))


def run(best_of: Callable[..., float], repeat: int = 7) -> None:
    del best_of  # each measurement is a new process
    env_note = "OPENBLAS_CORETYPE set" if os.environ.get("OPENBLAS_CORETYPE") else "default env"
    print(f"\n== start-up (new processes, best of {repeat}; {env_note})")
    subprocess.run([PYTHON, "-c", FIRST_FIT], check=True, capture_output=True)  # warm caches
    numpy = _best([PYTHON, "-c", "import numpy"], repeat)
    rows = [
        ("import descend", _best([PYTHON, "-c", "import descend"], repeat), numpy, 2.0),
        ("descend --help", _best([*DESCEND, "--help"], repeat), numpy, 4.0),
    ]
    print(f"  python -c 'import numpy'                    {numpy:7.3f} s   (the anchor)")
    for label, seconds, anchor, target in rows:
        ratio = seconds / anchor
        verdict = "met" if ratio <= target else "MISSED"
        print(f"  {label:<44}{seconds:7.3f} s   {ratio:4.2f}× numpy (≤ {target:g}×: {verdict})")
    mini = _best([*DESCEND, "minimize", "x**2 + y**2", "--x0", "3,4"], repeat)
    label = 'descend minimize "x**2 + y**2" --x0 3,4'
    print(f"  {label:<44}{mini:7.3f} s   (≤ 1 s: {'met' if mini <= 1.0 else 'MISSED'})")
    imported, fit = _inner(FIRST_FIT, repeat)
    print(f"  {'from descend import GDRegressor':<44}{imported:7.3f} s   (scikit-learn's import)")
    print(
        f"  {'first GDRegressor().fit, 50 rows':<44}{fit:7.3f} s   "
        f"(in a new process, after the import; ≤ 0.5 s: {'met' if fit <= 0.5 else 'MISSED'})"
    )
    sklearn = _best([PYTHON, "-c", "import sklearn.base, sklearn.linear_model"], repeat)
    print(
        f"  {'python -c import sklearn.base, sklearn.linear_model':<44}{sklearn:7.3f} s   (anchor)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    run(lambda fn, repeat=5: 0.0)
