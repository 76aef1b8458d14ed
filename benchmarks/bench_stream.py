"""Beyond memory and beyond one machine: streamed fits from a Parquet file, and Dask.

Streaming: a Parquet file of ``ROWS`` × 100 float64 features (+ target), about 1.3 GB, is
written on the fly in row groups of 8,192 rows (and deleted afterwards;
``DESCEND_BENCH_STREAM_ROWS`` sets a smaller ``ROWS``). Each measurement runs in a fresh
subprocess, so that its peak resident set size (``VmHWM``) is its own; the memory budget is
300 MB, the file is about 4× that. Each call is timed ``REPEAT`` times after a warm-up (the
kernels loaded), the fastest kept. Every row prints rows/s, all on the same file:

* pyarrow's own read speed: ``ParquetFile.read_row_group`` over every row group (the anchor);
* what users call, each alone in its process: ``descend.fit(model, src, batch_size=1,
  max_epochs=1, tol=None, monitor="running")`` (one read of the file; its peak RSS is the
  memory figure, and it is run once more inside a memory cgroup limited to the budget where
  the machine allows one), ``descend.fit`` with shuffled mini-batches of 256, and
  ``GDRegressor(batch_size=1, max_epochs=1, tol=None).fit(src)`` with ``SGDRegressor``'s
  settings, without scaling (one read) and with it (a second read, for μ and σ);
* scikit-learn's ``SGDRegressor.partial_fit`` as its users feed it: pyarrow's
  ``iter_batches`` of 8,192 rows, the columns stacked into rows (the anchor of the 3× row);
* ``partial_fit`` over the chunks of descend's own reader (its decoding threads lent to
  scikit-learn), and both per-sample fits over ``HELD`` chunks held in memory (the arithmetic
  alone);
* the same rows once more as pyarrow writes them by default (snappy-compressed, dictionary
  pages): pyarrow's read, ``descend.fit`` and the users' ``partial_fit`` loop;
* the passes one by one in one process: a per-sample epoch in file order, a mini-batch 256
  epoch in the shuffled order (row groups permuted, shuffle buffer), one full-batch (J, ∇J)
  pass, and ``fit`` with ``monitor="full"``, which also evaluates J and ∇J over the file
  before and after the epoch (three reads).

Dask: a ``LocalCluster`` with 2 worker processes on loopback, 400,000 × 20 in 4 partitions:
full-batch Adam and mini-batch parameter averaging against the same fits in memory, and
dask-ml's ``LogisticRegression`` and ``Incremental(SGDClassifier)`` where dask-ml is
installed.
"""

from __future__ import annotations

import contextlib
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


def write_file(path: Path, rows: int = ROWS, d: int = D, group: int = GROUP,
               compression: str = "none") -> float:  # fmt: skip
    """X ~ N(0, 1), y = X·w + 1 + noise, written row group by row group; returns seconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    w = rng.normal(size=d)
    names = [f"x{j}" for j in range(d)]
    schema = pa.schema([(n, pa.float64()) for n in names] + [("y", pa.float64())])
    with pq.ParquetWriter(path, schema, compression=compression) as writer:
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
LR = %(lr)r
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
elif what == "sklearn-user":
    # partial_fit as its users feed it: pyarrow's batches, the columns stacked into rows
    import pyarrow.parquet as pq
    from sklearn.linear_model import SGDRegressor
    pf = pq.ParquetFile(path)
    names = [n for n in pf.schema_arrow.names if n != "y"]
    est = SGDRegressor(learning_rate="constant", eta0=LR, penalty=None, shuffle=False)
    def user_loop():
        n = 0
        for batch in pf.iter_batches(batch_size=8192):
            X = np.column_stack([batch.column(c).to_numpy() for c in names])
            est.partial_fit(X, batch.column("y").to_numpy())
            n += len(X)
        return n
    next(pf.iter_batches(batch_size=8192)).column(0).to_numpy()  # imports, threads: not timed
    out["user_partial_fit"], rows = best(user_loop)
else:
    import descend, descend.stream
    src = descend.stream.source(path, "y", chunk_rows=8192, shuffle_buffer=16384)
    rows = src.n_rows
    model = descend.linear_regression(src.n_features)
    small = np.random.default_rng(0).standard_normal((1000, src.n_features))
    if what == "fit":  # what users call, alone in its process: its peak RSS is the figure
        descend.fit(model, small, small[:, 0], batch_size=1, max_epochs=1, kernel=True)
        kw = dict(lr=LR, max_epochs=1, tol=None, monitor="running")
        out["fit"], fit = best(lambda: descend.fit(model, src, batch_size=1, shuffle=False, **kw))
        out["fit_loss"] = float(fit.history.loss[-1])
    elif what == "shuffled":
        descend.fit(model, small, small[:, 0], batch_size=256, max_epochs=1, kernel=True)
        kw = dict(lr=LR, max_epochs=1, tol=None, monitor="running", seed=0)
        out["shuffled"], _ = best(lambda: descend.fit(model, src, batch_size=256, **kw))
    elif what == "estimator":
        # GDRegressor with SGDRegressor's settings (no scaling pass: one read of the file)
        kw = dict(optimizer="sgd", lr=LR, batch_size=1, max_epochs=1, tol=None, shuffle=False,
                  penalty=None)
        descend.GDRegressor(**kw).fit(small, small[:, 0])
        out["estimator"], _ = best(lambda: descend.GDRegressor(scale=False, **kw).fit(src))
        out["estimator_scaled"], _ = best(lambda: descend.GDRegressor(**kw).fit(src))
    elif what == "sklearn":
        from sklearn.linear_model import SGDRegressor
        est = SGDRegressor(learning_rate="constant", eta0=LR, penalty=None, shuffle=False)
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
        opt = descend.sgd(LR)
        theta = np.zeros(model.n_params)
        run_chunks(model, held[:1], theta, opt, opt.init(theta), 1, kernel=True)
        out["held_epoch"], _ = best(lambda: run_chunks(model, held, theta, opt, opt.init(theta),
                                                       1, kernel=True))
    else:  # the passes one by one
        opt = descend.sgd(LR)
        theta = np.zeros(model.n_params)
        for b in (1, 256, "full"):  # load the compiled kernels (a short fit would skip them)
            descend.fit(model, small, small[:, 0], batch_size=b, max_epochs=1, kernel=True)
        src.head()  # the reader's first use (its imports, its threads) is not timed
        def epoch(b, shuffle):
            rng = np.random.default_rng(0)
            return lambda: src.run_epoch(model, theta, opt, opt.init(theta), b, rng, shuffle,
                                         grad=None, kernel=None, record=False, skip=0,
                                         carry=None, on_chunk=None)
        out["epoch"], r = best(epoch(1, False))
        out["epoch_finite"] = bool(r.finite)
        out["minibatch"], _ = best(epoch(256, True))
        out["full"], _ = best(lambda: src.value_and_grad(model, theta, None))
        out["fit_full"], fit = best(lambda: descend.fit(model, src, batch_size=1, lr=LR,
                                                        max_epochs=1, tol=None, shuffle=False))
        out["fit_loss"] = [float(v) for v in fit.history.loss]
out["rows"] = rows
out["peak_mb"] = hwm()
print(json.dumps(out))
"""

#: A memory cgroup (version 1) the streamed fit is run in, given ``BUDGET_MB``, where this
#: machine lets the benchmark make one (root, a writable ``/sys/fs/cgroup/memory``).
_CGROUP = Path("/sys/fs/cgroup/memory/descend-bench")


def child(path: Path, what: str, repeat: int = REPEAT, limit_mb: int | None = None
          ) -> dict[str, float]:  # fmt: skip
    """One measurement in a fresh process: each pass timed ``repeat`` times, the fastest kept;
    with ``limit_mb``, inside a memory cgroup limited to that (None when none can be made)."""
    env = {**os.environ, "PYTHONPATH": _SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = _CHILD % {"lr": LR, "held": HELD}
    command = [sys.executable, "-c", code, str(path), what, str(repeat)]
    if limit_mb is not None:
        try:
            _CGROUP.mkdir(exist_ok=True)
            (_CGROUP / "memory.limit_in_bytes").write_text(str(limit_mb << 20))
        except OSError:
            return {}
        with contextlib.suppress(OSError):  # swap too, where it is accounted
            (_CGROUP / "memory.memsw.limit_in_bytes").write_text(str(limit_mb << 20))
        command = ["sh", "-c", f'echo $$ > {_CGROUP}/cgroup.procs && exec "$@"', "sh", *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if limit_mb is not None:
            return {"failed": float(done.returncode)}
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
    passes = child(path, "passes")
    fit = child(path, "fit")
    shuffled = child(path, "shuffled")
    est = child(path, "estimator")
    sk = child(path, "sklearn")
    user = child(path, "sklearn-user")
    limited = child(path, "fit", repeat=1, limit_mb=BUDGET_MB)
    rows = fit["rows"]
    read, ours, users = against_anchors(rows, arrow, fit, user)
    plain = rows / est["estimator"]
    line("  GDRegressor(batch_size=1, scale=False).fit(src)", plain,
         f"{plain / users:.2f}x faster", ">= 3x", plain / users >= 3)  # fmt: skip
    line("  descend.fit(src, batch_size=1) against it", ours, f"{ours / users:.2f}x faster")
    scaled = rows / est["estimator_scaled"]
    line("  GDRegressor(batch_size=1).fit(src): + the μ,σ read", scaled,
         f"{scaled / users:.2f}x faster")  # fmt: skip
    skl = rows / sk["partial_fit"]
    line("SGDRegressor.partial_fit, descend's reader (threads)", skl)
    line("  descend.fit(src, batch_size=1) against it", ours, f"{ours / skl:.2f}x faster")
    held_sk = sk["held_rows"] / sk["held_partial_fit"]
    held_ours = sk["held_rows"] / sk["held_epoch"]
    line(f"  the same over {HELD} chunks in memory: partial_fit", held_sk)
    line("  descend per-sample epoch over them (run_chunks)", held_ours,
         f"{held_ours / held_sk:.2f}x faster")  # fmt: skip
    epoch = rows / passes["epoch"]
    line("per-sample epoch alone (run_epoch)", epoch, f"{epoch / read:.0%} of pyarrow's read")
    line("mini-batch 256 epoch alone, shuffled order", rows / passes["minibatch"],
         f"{rows / passes['minibatch'] / read:.0%} of pyarrow's read")  # fmt: skip
    line("descend.fit(src, batch_size=256, shuffle=True)", rows / shuffled["shuffled"],
         f"{rows / shuffled['shuffled'] / read:.0%} of pyarrow's read")  # fmt: skip
    line("full-batch J, ∇J pass", rows / passes["full"],
         f"{rows / passes['full'] / read:.0%} of pyarrow's read")  # fmt: skip
    line("descend.fit, monitor='full': J, epoch, J (3 reads)", rows / passes["fit_full"],
         f"{passes['fit_full']:.1f} s in all")  # fmt: skip
    peak = fit["peak_mb"]
    print(f"peak RSS, descend.fit(src, batch_size=1) alone in its process: {peak:.0f} MB  "
          f"target <= {BUDGET_MB} MB  {'met' if peak <= BUDGET_MB else 'MISSED'}")  # fmt: skip
    print(f"peak RSS of the other processes: shuffled mini-batch fit {shuffled['peak_mb']:.0f} MB,"
          f" GDRegressor (with scikit-learn imported) {est['peak_mb']:.0f} MB, all the passes "
          f"one after another {passes['peak_mb']:.0f} MB; pyarrow's read "
          f"{arrow['peak_mb']:.0f} MB, partial_fit on pyarrow's batches {user['peak_mb']:.0f} MB"
          )  # fmt: skip
    if not limited:
        print(f"given {BUDGET_MB} MB (a memory cgroup): not measured, none can be made here")
    elif "failed" in limited:
        print(f"given {BUDGET_MB} MB (a memory cgroup): the fit FAILED "
              f"(exit {limited['failed']:.0f})")  # fmt: skip
    else:
        print(f"given {BUDGET_MB} MB (a memory cgroup, memory.limit_in_bytes): the fit completed "
              f"in {limited['fit']:.2f} s, peak RSS {limited['peak_mb']:.0f} MB")  # fmt: skip
    print(f"loss before / after the streamed epoch: {passes['fit_loss'][0]:.4g} / "
          f"{passes['fit_loss'][1]:.4g} (running loss of the epoch {fit['fit_loss']:.4g})")
    path.unlink()
    run_snappy(folder, rows)


def against_anchors(rows: int, arrow: dict[str, float], fit: dict[str, float],
                    user: dict[str, float]) -> tuple[float, float, float]:  # fmt: skip
    """Print pyarrow's read, the streamed fit against it and the users' ``partial_fit`` loop;
    their rows/s."""
    read = rows / arrow["read"]
    line("pyarrow read_row_group, every row group (anchor)", read)
    ours = rows / fit["fit"]
    line("descend.fit(src, batch_size=1), one epoch", ours, f"{ours / read:.0%} of pyarrow's read",
         ">= 70%", ours / read >= 0.7)  # fmt: skip
    users = rows / user["user_partial_fit"]
    line("SGDRegressor.partial_fit, pyarrow's batches (users')", users)
    return read, ours, users


def run_snappy(folder: Path, rows: int) -> None:
    """The same rows written as pyarrow writes by default (snappy, dictionary pages)."""
    path = folder / "snappy.parquet"
    write_file(path, rows, compression="snappy")
    print(f"\nthe same rows as pyarrow's writer makes them by default (snappy, dictionary "
          f"pages), {path.stat().st_size / 1e6:,.0f} MB:")  # fmt: skip
    arrow, fit, user = child(path, "pyarrow"), child(path, "fit"), child(path, "sklearn-user")
    _, ours, users = against_anchors(rows, arrow, fit, user)
    line("  descend.fit(src, batch_size=1) against it", ours, f"{ours / users:.2f}x faster",
         ">= 3x", ours / users >= 3)  # fmt: skip
    print(f"peak RSS, descend.fit alone in its process: {fit['peak_mb']:.0f} MB")


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
