"""descend's benchmarks: `make bench`. Prints ratios against anchors measured in the same run.

Sections (pass names to run only some: `python benchmarks/run.py engine data`):

* engine: µs per step of minimize on 2-D Rosenbrock with Adam (compiled and NumPy engines)
  against a plain NumPy loop and PyTorch's torch.optim.Adam; 10,000 random restarts × 1,000
  Adam steps against a hand-written vectorised NumPy loop.
* start: new-process start-up (import descend, descend --help, a CLI minimize, the first
  GDRegressor fit) against ``python -c "import numpy"``.
* data: linear regression on 1,000,000 × 100 float64 against scikit-learn's SGDRegressor and
  the memory-bandwidth floor (one X @ w).
* mlp: GDMLPClassifier/GDMLPRegressor against scikit-learn's MLPClassifier/MLPRegressor on
  digits, make_moons and make_regression: held-out score side by side and fit time.
* stream: a ~1.3 GB Parquet file streamed with a 300 MB budget against pyarrow's read speed and
  SGDRegressor.partial_fit; Dask fits on a LocalCluster against the in-memory fit and dask-ml.
* estimators: GDRegressor/GDClassifier as users call them (whole fit, default scale=True)
  against SGDRegressor/SGDClassifier; memory of scale=True and of float32 X; the first fit.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of ``repeat`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = platform.python_version()
    blas = ""
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                blas = (
                    f", {lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')})"
                )
                break
    except ImportError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {python}, numpy {np.__version__}{blas} {env or ''}"
    )


def main(argv: list[str]) -> None:
    sections = argv or ["start", "engine", "data", "estimators", "mlp", "stream"]
    print(f"machine: {machine()}")
    if "start" in sections:
        import bench_start

        bench_start.run(best_of)
    if "engine" in sections:
        import bench_engine

        bench_engine.run(best_of)
    if "data" in sections:
        import bench_data

        bench_data.run(best_of)
    if "estimators" in sections:
        import bench_estimators

        bench_estimators.run(best_of)
    if "mlp" in sections:
        import bench_mlp

        bench_mlp.run(best_of)
    if "stream" in sections:
        import bench_stream

        bench_stream.run(best_of)


if __name__ == "__main__":
    main(sys.argv[1:])
