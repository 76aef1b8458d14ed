"""Beyond memory and beyond one machine: streamed fits from a Parquet file, and Dask.

Streaming: a Parquet file of ``ROWS`` × 100 float64 features (+ target), about 1.3 GB, is
written on the fly in row groups of 8,192 rows (and deleted afterwards;
``DESCEND_BENCH_STREAM_ROWS`` sets a smaller ``ROWS``). Each measurement runs in a fresh
subprocess, so that its peak resident set size (``VmHWM``) is its own; the memory budget is
300 MB, the file is about 4× that. Each pass is timed ``REPEAT`` times after the same warm-up
(the kernels loaded, one chunk read), the fastest kept. Every row prints rows/s, all on the
same file:

* pyarrow's own read speed: ``ParquetFile.read_row_group`` over every row group (the anchor);
* descend, one per-sample SGD epoch streamed in file order (decode threads + compiled kernel),
  and one mini-batch 256 epoch with the shuffled order (row groups permuted, shuffle buffer);
  one full-batch (J, ∇J) pass; ``fit(max_epochs=1)``, which also evaluates J and ∇J over the
  file before and after the epoch (three passes);
* scikit-learn's ``SGDRegressor.partial_fit`` over the same chunks (read by the same reader),
  and both per-sample fits over ``HELD`` chunks held in memory (the arithmetic alone).

Dask: a ``LocalCluster`` with 2 worker processes on loopback, 400,000 × 20 in 4 partitions:
full-batch Adam and mini-batch parameter averaging against the same fits in memory, and
dask-ml's ``LogisticRegression`` and ``Incremental(SGDClassifier)`` where dask-ml is
installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

#: ``DESCEND_BENCH_STREAM_ROWS`` makes a smaller file (a quicker run while working on it).
ROWS = int(os.environ.get("DESCEND_BENCH_STREAM_ROWS", 1_300_000))
D, GROUP = 100, 8192
LR = 1e-3
REPEAT = 2
#: Chunks held in memory for the comparison of the arithmetic alone (8,192 rows each).
HELD = 24
BUDGET_MB = 300
_SRC = str(Path(__file__).resolve().parent.parent / "src")


def write_file(path: Path, rows: int = ROWS, d: int = D, group: int = GROUP) -> float:
    """X ~ N(0, 1), y = X·w + 1 + noise, written row group by row group; returns seconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    w = rng.normal(size=d)
    names = [f"x{j}" for j in range(d)]
    schema = pa.schema([(n, pa.float64()) for n in names] + [("y", pa.float64())])
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for lo in range(0, rows, group):
            n = min(group, rows - lo)
            X = rng.standard_normal((n, d))
            y = X @ w + 1.0 + 0.5 * rng.standard_normal(n)
            arrays = [pa.array(X[:, j]) for j in range(d)] + [pa.array(y)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return time.perf_counter() - start


_CHILD = r"""
import json, sys, time, warnings
import numpy as np
path, what, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
HELD = %(held)d
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
def best(fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result
out = {}
if what == "pyarrow":
    import pyarrow.parquet as pq
    pf = pq.ParquetFile(path)
    groups = range(pf.metadata.num_row_groups)
    pf.read_row_group(0)
    out["read"], rows = best(lambda: sum(pf.read_row_group(i).num_rows for i in groups))
else:
    import descend, descend.stream
    src = descend.stream.source(path, "y", chunk_rows=8192, shuffle_buffer=16384)
    rows = src.n_rows
    model = descend.linear_regression(src.n_features)
    if what == "sklearn":
        from sklearn.linear_model import SGDRegressor
        est = SGDRegressor(learning_rate="constant", eta0=%(lr)r, penalty=None, shuffle=False)
        src.head()  # the reader's first use (its imports, its threads) is not timed
        def partial_fits():
            for X, y in src.chunks():
                est.partial_fit(X, y)
        out["partial_fit"], _ = best(partial_fits)
        # the arithmetic alone: both over the same first chunks, already in memory
        import itertools
        from descend.engine.chunked import run_chunks
        held = list(itertools.islice(src.chunks(), HELD))
        out["held_rows"] = sum(len(y) for _, y in held)
        out["held_partial_fit"], _ = best(lambda: [est.partial_fit(X, y) for X, y in held])
        opt = descend.sgd(%(lr)r)
        theta = np.zeros(model.n_params)
        run_chunks(model, held[:1], theta, opt, opt.init(theta), 1, kernel=True)
        out["held_epoch"], _ = best(lambda: run_chunks(model, held, theta, opt, opt.init(theta),
                                                       1, kernel=True))
    else:
        opt = descend.sgd(%(lr)r)
        theta = np.zeros(model.n_params)
        small = np.random.default_rng(0).standard_normal((1000, src.n_features))
        for b in (1, 256, "full"):  # load the compiled kernels (a short fit would skip them)
            descend.fit(model, small, small[:, 0], batch_size=b, max_epochs=1, kernel=True)
        out["rss_before"] = hwm()
        src.head()  # the reader's first use (its imports, its threads) is not timed
        def epoch(b, shuffle):
            rng = np.random.default_rng(0)
            return lambda: src.run_epoch(model, theta, opt, opt.init(theta), b, rng, shuffle,
                                         grad=None, kernel=None, record=False, skip=0,
                                         carry=None, on_chunk=None)
        out["epoch"], r = best(epoch(1, False))
        out["epoch_finite"] = bool(r.finite)
        out["rss_epoch"] = hwm()
        out["minibatch"], _ = best(epoch(256, True))
        out["full"], _ = best(lambda: src.value_and_grad(model, theta, None))
        out["fit"], fit = best(lambda: descend.fit(model, src, batch_size=1, lr=%(lr)r,
                                                   max_epochs=1, tol=None, shuffle=False))
        out["fit_loss"] = [float(v) for v in fit.history.loss]
out["rows"] = rows
out["peak_mb"] = hwm()
print(json.dumps(out))
"""


def child(path: Path, what: str, repeat: int = REPEAT) -> dict[str, float]:
    """One measurement in a fresh process: each pass timed ``repeat`` times, the fastest kept."""
    env = {**os.environ, "PYTHONPATH": _SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = _CHILD % {"lr": LR, "held": HELD}
    done = subprocess.run([sys.executable, "-c", code, str(path), what, str(repeat)], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{what} child failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(name: str, rows_per_s: float, note: str = "", target: str = "", met: bool | None = None
         ) -> None:  # fmt: skip
    verdict = "" if met is None else ("met" if met else "MISSED")
    print(f"{name:<52} {rows_per_s / 1e6:7.3f} M rows/s  {note:<28} {target:<12} {verdict}")


def run_stream(folder: Path, rows: int = ROWS) -> None:
    path = folder / "stream.parquet"
    seconds = write_file(path, rows)
    size = path.stat().st_size / 1e6
    print(
        f"\n== stream: {rows:,} × {D} float64 Parquet, {size:,.0f} MB, row groups of {GROUP:,} =="
    )
    print(f"(written in {seconds:.1f} s; memory budget {BUDGET_MB} MB: the file is "
          f"{size / BUDGET_MB:.1f}× that)")  # fmt: skip
    arrow = child(path, "pyarrow")
    ours = child(path, "descend")
    sk = child(path, "sklearn")
    rows = ours["rows"]
    read = rows / arrow["read"]
    line("pyarrow read_row_group, every row group (anchor)", read)
    epoch = rows / ours["epoch"]
    line("descend per-sample SGD epoch, streamed", epoch, f"{epoch / read:.0%} of pyarrow's read",
         ">= 70%", epoch / read >= 0.7)  # fmt: skip
    skl = rows / sk["partial_fit"]
    line("SGDRegressor.partial_fit over the same chunks", skl)
    line("  descend per-sample epoch against it", epoch, f"{epoch / skl:.2f}x faster", ">= 3x",
         epoch / skl >= 3)  # fmt: skip
    held_sk = sk["held_rows"] / sk["held_partial_fit"]
    held_ours = sk["held_rows"] / sk["held_epoch"]
    line(f"  the same over {HELD} chunks in memory: partial_fit", held_sk)
    line("  descend per-sample epoch over them (run_chunks)", held_ours,
         f"{held_ours / held_sk:.2f}x faster")  # fmt: skip
    line("descend mini-batch 256 epoch, shuffled order", rows / ours["minibatch"],
         f"{rows / ours['minibatch'] / read:.0%} of pyarrow's read")  # fmt: skip
    line("descend full-batch J, ∇J pass", rows / ours["full"], f"{rows / ours['full'] / read:.0%}"
         " of pyarrow's read")  # fmt: skip
    line("descend fit(max_epochs=1): J, epoch, J (3 passes)", rows / ours["fit"],
         f"{ours['fit']:.1f} s in all")  # fmt: skip
    print(f"peak RSS of the descend process: {ours['peak_mb']:.0f} MB (after imports and kernels: "
          f"{ours['rss_before']:.0f} MB; after the per-sample epoch: {ours['rss_epoch']:.0f} MB)  "
          f"target <= {BUDGET_MB} MB  {'met' if ours['peak_mb'] <= BUDGET_MB else 'MISSED'}"
          )  # fmt: skip
    print(f"peak RSS of the pyarrow reader: {arrow['peak_mb']:.0f} MB; of SGDRegressor: "
          f"{sk['peak_mb']:.0f} MB")  # fmt: skip
    print(f"loss before / after the streamed epoch: {ours['fit_loss'][0]:.4g} / "
          f"{ours['fit_loss'][1]:.4g}")  # fmt: skip


def run_dask(best_of) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's notes on graph sizes, ports, ...
        _run_dask(best_of)


def _run_dask(best_of) -> None:
    try:
        import dask.array as da
        from distributed import Client, LocalCluster
    except ImportError:
        print("\n== dask: not installed (pip install 'descend[dask]'), skipped ==")
        return
    import descend
    import descend.dist

    m, d = 400_000, 20
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, d))
    z = X @ rng.normal(size=d)
    y = (z + rng.standard_normal(m) > 0).astype(float)
    model = descend.logistic_regression(d)
    print(f"\n== dask: LocalCluster, 2 worker processes; {m:,} × {d} in 4 partitions ==")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
    try:
        Xd, yd = da.from_array(X, chunks=(m // 4, d)), da.from_array(y, chunks=m // 4)
        src = descend.dist.source(Xd, yd)
        full = dict(optimizer="adam", lr=0.05, max_epochs=20, tol=None)
        descend.fit(model, src, **{**full, "max_epochs": 1})  # workers load the kernels
        t_mem = best_of(lambda: descend.fit(model, X, y, **full), 3)
        t_dist = best_of(lambda: descend.fit(model, src, **full), 3)
        gap = np.abs(descend.fit(model, src, **full).theta - descend.fit(model, X, y, **full).theta)
        print(f"full batch, Adam, 20 epochs: in memory {t_mem:.3f} s, on the cluster {t_dist:.3f} s"
              f" ({t_dist / t_mem:.2f}x); max |Δθ| {gap.max():.1e}")  # fmt: skip
        mini = dict(optimizer="sgd", lr=0.05, batch_size=256, max_epochs=3, tol=None, seed=0)
        t_mem = best_of(lambda: descend.fit(model, X, y, **mini), 3)
        t_dist = best_of(lambda: descend.fit(model, src, **mini), 3)
        print(f"mini-batch 256, 3 epochs: in memory {t_mem:.3f} s, parameter averaging on the "
              f"cluster {t_dist:.3f} s ({t_dist / t_mem:.2f}x)")  # fmt: skip
        _dask_ml(Xd, yd, X, y, model, best_of)
    finally:
        client.close()
        cluster.close()


def _dask_ml(Xd, yd, X, y, model, best_of) -> None:
    try:
        from dask_ml.linear_model import LogisticRegression
        from dask_ml.wrappers import Incremental
    except ImportError:
        print("dask-ml: not installed, its anchors skipped")
        return
    from sklearn.linear_model import SGDClassifier

    import descend
    import descend.dist

    src = descend.dist.source(Xd, yd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ml = best_of(lambda: LogisticRegression(solver="lbfgs", max_iter=20).fit(Xd, yd), 1)
        t_ours = best_of(lambda: descend.fit(model, src, lr="auto", max_epochs=20, tol=None), 1)
        print(f"dask-ml LogisticRegression(lbfgs, max_iter=20) {t_ml:.3f} s; descend full batch "
              f"+ line search, 20 epochs {t_ours:.3f} s ({t_ml / t_ours:.2f}x)")  # fmt: skip
        inc = Incremental(SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.05))
        t_inc = best_of(lambda: inc.fit(Xd, yd, classes=[0.0, 1.0]), 1)
        one = dict(optimizer="sgd", lr=0.05, batch_size=1, max_epochs=1, tol=None, seed=0)
        t_one = best_of(lambda: descend.fit(model, src, **one), 1)
        print(f"dask-ml Incremental(SGDClassifier), one pass {t_inc:.3f} s; descend per-sample "
              f"epoch, parameter averaging {t_one:.3f} s ({t_inc / t_one:.2f}x)")  # fmt: skip
    acc_ours = float(((np.c_[np.ones(len(X)), X] @ descend.fit(model, src, lr="auto",
                      max_epochs=20, tol=None).theta > 0) == y).mean())  # fmt: skip
    print(f"training accuracy, descend full batch: {acc_ours:.4f}")


def run(best_of) -> None:
    folder = Path(tempfile.mkdtemp(prefix="descend-bench-"))
    try:
        run_stream(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    run_dask(best_of)
