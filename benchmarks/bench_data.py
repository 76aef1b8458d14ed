"""Data benchmarks: linear regression on 1,000,000 × 100 float64 (800 MB), measured in one run.

Anchors, timed in the same process on the same data: scikit-learn's ``SGDRegressor`` and one
``X @ w`` (the memory-bandwidth floor of anything that reads X once). Every row prints
``name  time  ratio  target met/MISSED``.

* per-sample SGD, shuffled, one epoch: ``descend.fit`` (batch_size=1, constant lr,
  max_epochs=1, tol=None; this includes fit's evaluations of J and ∇J over all rows before and
  after the epoch) against ``SGDRegressor(learning_rate="constant", max_iter=1, ...)``.
* mini-batch 256, shuffled, one epoch (the compiled epoch itself; fit's time follows as info)
  and one full-batch (J, ∇J) evaluation, against one ``X @ w``.
* peak memory of ``fit`` (mini-batch and full-batch line search): the peak resident set size
  (``VmHWM``) of a fresh subprocess minus its peak before it creates the data (after imports
  and compilation), so the data itself counts once; the target is 1.2 × X.nbytes + 100 MB.
  ``GDRegressor().fit`` follows (scale=True reads the standardised features on the fly).
* time to the least-squares optimum (``numpy.linalg.lstsq``) with default settings:
  ``GDRegressor(penalty=None)`` against ``SGDRegressor(penalty=None)``, with both final gaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

M, D = 1_000_000, 100
LR = 1e-3  # per-sample SGD: stable for ‖x‖² ≈ 100 (needs lr < 2/‖x‖²)
NOISE = 0.5
SEED = 0
_SRC = str(Path(__file__).resolve().parent.parent / "src")

BestOf = Callable[[Callable[[], object], int], float]


def make_data(m: int = M, d: int = D, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, 1) (C order, float64) and y = X·w_true + 1 + noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    w_true = rng.normal(size=d)
    y = X @ w_true + 1.0 + NOISE * rng.standard_normal(m)
    return X, y


def row(name: str, seconds: float, ratio: str, target: str, met: bool | None) -> None:
    verdict = "" if met is None else ("met" if met else "MISSED")
    print(f"{name:<46} {seconds:8.3f} s  {ratio:<24} {target:<16} {verdict}")


def info(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<46} {seconds:8.3f} s  {note}")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the ConvergenceWarning of a deliberately short fit (1 epoch, tol=None)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def run(best_of: BestOf) -> None:
    from sklearn.linear_model import SGDRegressor

    from descend.engine.batches import epoch_order
    from descend.engine.compiled_fit import full_loss_and_grad, kernel_for
    from descend.engine.fit import fit
    from descend.estimators.linear import GDRegressor
    from descend.models.linear import check_data, linear_regression
    from descend.optim.rules import sgd

    print(f"\n== data: linear regression, {M:,} × {D} float64 ({M * D * 8 / 1e6:.0f} MB) ==")
    if "OPENBLAS_CORETYPE" in os.environ:
        print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set (affects X @ w)")
    import numba

    print(f"numba {numba.__version__}, {numba.get_num_threads()} threads "
          f"({numba.config.THREADING_LAYER} layer)")  # fmt: skip
    start = time.perf_counter()
    X, y = make_data()
    print(f"(data generated in {time.perf_counter() - start:.1f} s)")
    model = linear_regression(D)
    w = np.random.default_rng(1).normal(size=D)
    theta = np.zeros(D + 1)
    # compile or load the cached kernels outside the timings
    fit(model, X[:5000], y[:5000], lr=LR, batch_size=1, max_epochs=1, tol=None, kernel=True)
    full_loss_and_grad(model, X, y, theta)

    matvec = best_of(lambda: X @ w, 5)
    info("one X @ w (anchor)", matvec)

    # --- per-sample SGD, one shuffled epoch ---------------------------------------------
    def ours_sgd() -> object:
        return fit(model, X, y, optimizer="sgd", lr=LR, batch_size=1, max_epochs=1, tol=None,
                   seed=SEED)  # fmt: skip

    def sk_sgd() -> object:
        est = SGDRegressor(learning_rate="constant", eta0=LR, max_iter=1, tol=None,
                           shuffle=True, penalty=None, alpha=0.0, random_state=SEED)  # fmt: skip
        with quiet():
            return est.fit(X, y)

    ours = best_of(ours_sgd, 3)
    theirs = best_of(sk_sgd, 3)
    row("per-sample SGD epoch: descend fit", ours, f"{theirs / ours:.2f}x faster than sklearn",
        ">= 3x", theirs / ours >= 3)  # fmt: skip
    info("per-sample SGD epoch: sklearn SGDRegressor", theirs)
    opt = sgd(LR)
    runner = kernel_for(model, opt, X)
    assert runner is not None
    rng = np.random.default_rng(SEED)
    state = opt.init(theta)
    order1 = epoch_order(M, 1, rng)
    epoch1 = best_of(lambda: runner(model, X, y, theta, opt, state, order1), 3)
    full = best_of(lambda: full_loss_and_grad(model, X, y, theta), 5)
    check = best_of(lambda: check_data(model, X, y), 3)
    order = best_of(lambda: epoch_order(M, 1, rng), 3)
    floor = random_read_floor(X, order1.perm, best_of)
    print("  fit = data check + shuffle + J, ∇J before and after + the epoch:")
    print(f"        {check:.3f} + {order:.3f} + 2 × {full:.3f} + {epoch1:.3f} s "
          f"(the epoch alone: {theirs / epoch1:.2f}x faster than sklearn's fit)")  # fmt: skip
    info("  floor: reading X's rows in that random order", floor,
         f"(in order: {best_of(lambda: X.sum(), 3):.3f} s)")  # fmt: skip

    # --- mini-batch 256, one shuffled epoch -----------------------------------------------
    order256 = epoch_order(M, 256, rng)
    mini = best_of(lambda: runner(model, X, y, theta, opt, state, order256), 3)
    row("mini-batch 256 epoch (kernel)", mini, f"{mini / matvec:.2f}x one X @ w", "<= 4x",
        mini / matvec <= 4)  # fmt: skip
    mini_fit = best_of(
        lambda: fit(model, X, y, lr=LR, batch_size=256, max_epochs=1, tol=None, seed=SEED), 2
    )
    info("  fit with one such epoch (+ 2 full J, ∇J)", mini_fit, f"{mini_fit / matvec:.2f}x")

    # --- one full-batch (J, ∇J) -------------------------------------------------------------
    row("full-batch J, ∇J (one fused pass)", full, f"{full / matvec:.2f}x one X @ w", "<= 1.5x",
        full / matvec <= 1.5)  # fmt: skip
    ref = best_of(lambda: model.value_and_grad(theta, X, y), 2)
    info("  NumPy reference (X @ w, then X.T @ δ)", ref, f"{ref / matvec:.2f}x")

    # --- peak memory ------------------------------------------------------------------------
    mem = peak_memory_subprocess()
    if mem is None:
        print("peak memory: the measuring subprocess failed")
    else:
        limit = 1.2 * X.nbytes + 100e6
        extra = mem["fit"]
        print(f"{'peak RSS of fit (data included)':<46} {extra / 1e6:8.0f} MB "
              f"{extra / X.nbytes:.2f}x X.nbytes      <= {limit / 1e6:.0f} MB   "
              f"{'met' if extra <= limit else 'MISSED'}")  # fmt: skip
        print(f"{'  GDRegressor().fit (scale=True, no copy)':<46} {mem['estimator'] / 1e6:8.0f} MB "
              f"{mem['estimator'] / X.nbytes:.2f}x X.nbytes (info)")  # fmt: skip

    # --- time to the least-squares optimum, default settings ---------------------------------
    start = time.perf_counter()
    A = np.empty((M, D + 1))
    A[:, 0] = 1.0
    A[:, 1:] = X
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    del A
    print(f"(numpy.linalg.lstsq optimum in {time.perf_counter() - start:.1f} s)")

    def loss_of(coef_: np.ndarray, intercept: float) -> float:
        r = X @ coef_ + intercept - y
        return 0.5 * float(r @ r) / M

    best = loss_of(coef[1:], float(coef[0]))

    def timed(est: object) -> tuple[float, float]:
        with quiet():
            start = time.perf_counter()
            est.fit(X, y)  # type: ignore[attr-defined]
            seconds = time.perf_counter() - start
        gap = (loss_of(est.coef_, float(np.ravel(est.intercept_)[0])) - best) / best  # type: ignore[attr-defined]
        return seconds, gap

    gd = GDRegressor(penalty=None, alpha=0.0, random_state=SEED)
    ours_t, ours_gap = timed(gd)
    sk_t, sk_gap = timed(SGDRegressor(penalty=None, random_state=SEED))
    note = f"gap {ours_gap:.1e}, {sk_t / ours_t:.1f}x faster"
    row("to the optimum: GDRegressor() defaults", ours_t, note, "gap <= 1e-6", ours_gap <= 1e-6)
    print(f"{'':<46} ({gd.n_iter_} epochs of full-batch line search, scale=True)")
    info("to the optimum: SGDRegressor() defaults", sk_t, f"gap {sk_gap:.1e}")
    from sklearn.linear_model import LinearRegression, Ridge

    for name, est in (("Ridge(solver='sag', alpha=1e-12)", Ridge(alpha=1e-12, solver="sag",
                                                                  random_state=SEED)),
                      ("LinearRegression()", LinearRegression())):  # fmt: skip
        anchor_t, anchor_gap = timed(est)
        info(f"to the optimum: {name}", anchor_t,
             f"gap {anchor_gap:.1e}; GDRegressor() {anchor_t / ours_t:.2f}x its speed")  # fmt: skip


def random_read_floor(X: np.ndarray, perm: np.ndarray | None, best_of: BestOf) -> float:
    """Seconds to sum X's rows in the order ``perm``: the memory floor of a shuffled epoch."""
    from numba import njit

    @njit(fastmath=True)  # type: ignore[untyped-decorator]
    def touch(X: np.ndarray, perm: np.ndarray) -> float:
        s = 0.0
        for i in perm:
            for j in range(X.shape[1]):
                s += X[i, j]
        return s

    rows = np.arange(len(X)) if perm is None else perm
    touch(X[:10], rows[:10] % 10)
    return best_of(lambda: touch(X, rows), 3)


_MEMORY_SCRIPT = r"""
import json, sys
import numpy as np
sys.path[:0] = [{src!r}, {here!r}]
from bench_data import make_data, LR
from descend.estimators.linear import GDRegressor
from descend.engine.fit import fit
from descend.models.linear import linear_regression

def hwm():  # the peak resident set size of this process image (ru_maxrss may include the
    with open("/proc/self/status") as f:  # parent's, inherited through fork)
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) * 1024
small_X, small_y = make_data(5000)
model = linear_regression(small_X.shape[1])
# load the kernels (kernel=True: so short a fit would otherwise keep to NumPy)
fit(model, small_X, small_y, lr=LR, batch_size=256, max_epochs=1, tol=None, kernel=True)
fit(model, small_X, small_y, lr="auto", max_epochs=2, tol=None, kernel=True)
GDRegressor(penalty=None, max_epochs=50, tol=None).fit(small_X, small_y)
del small_X, small_y
base = hwm()
X, y = make_data()
fit(model, X, y, lr=LR, batch_size=256, max_epochs=1, tol=None, seed=0)
fit(model, X, y, lr="auto", max_epochs=3, tol=None)
fit_peak = hwm() - base
GDRegressor(penalty=None, max_epochs=3, tol=None).fit(X, y)
est_peak = hwm() - base
print(json.dumps({{"fit": fit_peak, "estimator": est_peak}}))
"""


def peak_memory_subprocess() -> dict[str, float] | None:
    """Peak RSS growth of fit (then of GDRegressor.fit) in a fresh process, in bytes."""
    here = str(Path(__file__).resolve().parent)
    script = _MEMORY_SCRIPT.format(src=_SRC, here=here)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        print(done.stderr[-2000:])
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
