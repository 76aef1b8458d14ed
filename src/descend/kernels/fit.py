r"""Compiled data passes for the built-in linear models: the fast path of :func:`descend.fit`.

:func:`descend.engine.fit.run_epoch` is the readable NumPy reference: per batch it gathers the
rows ``X[batch]``, computes z = X_B·w + b, δ = ∂l/∂z, the gradient [mean δ, X_Bᵀδ/m_B] + ∇R(w)
with BLAS, and calls ``opt.update``. The kernels (Numba, in :mod:`descend.kernels.passes`) do
the same arithmetic without the copies; :mod:`descend.engine.compiled_fit` picks them for the
engine's loops and falls back to the reference for what they do not cover.

* **mini-batch and per-sample epochs** (:func:`epoch`): one compiled call per epoch. For each
  batch and each row ``perm[i]`` of it, the row is read in place (``X[perm[i]]``, never
  gathered) into a float64 buffer, z is its dot product with w, δ comes from the loss, and δ·x
  is added to the gradient sum while the row is in cache. The gradient is then sum/m_B + ∇R(w)
  and the optimizer's one compiled update follows (:mod:`descend.kernels.update`, the formulas
  of the rules' own modules). The learning rate of every update of the epoch is evaluated in
  Python beforehand, so schedules of any kind work. Shuffled rows are prefetched 16 ahead.
* **the full batch** (:func:`value_and_grad`): one fused pass over X (z, δ and δ·x per row
  while it is in cache), in row blocks run in parallel, each with its own partial sums, which
  are added in block order: the result does not depend on the number of threads. The blocks
  run on a small pool of Python threads (the compiled block releases the GIL) rather than under
  Numba's ``parallel=True``: its OpenMP layer would make every later ``fork()`` of the process
  fatal (multiprocessing's default on Linux), and its parallel loops compile longer.
* **standardised features** (``scale``: μ, σ): every pass reads x′ = (x − μ)·(1/σ) on the
  fly, in X's dtype as the reference standardises its copy, so ``scale=True`` copies nothing.

The loss, the penalty and the rule are integer codes at run time, not compile-time
specialisations: the kernels compile once per dtype of X (float32 and float64), on first use,
and are cached on disk (``cache=True``). Numba itself loads only when a kernel first runs.
The only difference from the reference is the order of the sums (rows in sequence, or in
blocks, instead of BLAS's order): updates agree to about 1e-12 relative, and the tests hold θ
after several epochs to 1e-9 on every loss × penalty × rule × batch size, scaled or not.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from descend.base.types import Array
from descend.models.linear import PENALTY_CODES, LinearModel
from descend.models.losses import LOSS_CODES
from descend.models.scaling import Scaler, reciprocal_scale

#: Rows per block of the parallel full pass (at most 64 blocks; a function of m and n only).
BLOCK_ROWS = 2048
#: Below this many multiply-adds (m·n) the full pass is one block: threads would cost more.
PARALLEL_MIN_WORK = 1 << 19


class ModelCodes(NamedTuple):
    """A model as the kernels take it: loss code and Huber δ, K, intercepts, penalty."""

    loss: int
    delta: float
    n_outputs: int
    n_intercepts: int
    penalty: int
    alpha: float
    l1_ratio: float


class Scaling(NamedTuple):
    """μ and 1/σ in X's dtype, as the kernels read them (both empty: raw features)."""

    mu: Array
    inv: Array


def model_codes(model: LinearModel) -> ModelCodes | None:
    """The kernels' codes for ``model``, or None when its loss is not a built-in one."""
    loss = model.loss_fn
    code = LOSS_CODES.get(type(loss))
    if code is None or model.penalty not in PENALTY_CODES:
        return None
    penalty = 0 if model.penalty is None or model.alpha == 0 else PENALTY_CODES[model.penalty]
    return ModelCodes(
        code, float(getattr(loss, "delta", 1.0)), model.n_outputs, model.n_intercepts,
        penalty, float(model.alpha), float(model.l1_ratio),
    )  # fmt: skip


def supported_data(X: Any) -> bool:
    """True for what the kernels read in place: a C-contiguous, writeable float32/64 matrix."""
    return (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.shape[0] > 0
        and X.dtype in (np.dtype(np.float32), np.dtype(np.float64))
        and bool(X.flags.c_contiguous)
        and bool(X.flags.writeable)
    )


def scaling(scaler: Scaler | None, X: Any) -> Scaling:
    """The kernels' μ and 1/σ for ``scaler`` (None: empty arrays) in X's dtype, the factors of
    :func:`~descend.models.scaling.standardise`."""
    if scaler is None:
        empty = np.empty(0, dtype=X.dtype)
        return Scaling(empty, empty)
    mu = np.ascontiguousarray(scaler.mean, dtype=X.dtype)
    inv = np.ascontiguousarray(reciprocal_scale(scaler, X.dtype))
    return Scaling(mu, inv)


def n_blocks(m: int, n: int) -> int:
    """Row blocks of the parallel full pass: ≈ m / BLOCK_ROWS, at most 64, and at most
    2²² partial sums in all; 1 (serial) for less than :data:`PARALLEL_MIN_WORK`."""
    if m * n < PARALLEL_MIN_WORK:
        return 1
    return max(1, min(64, m // BLOCK_ROWS, (1 << 22) // max(n, 1)))


def passes() -> Any:
    """:mod:`descend.kernels.passes`, imported (with Numba) once a kernel first runs."""
    from descend.kernels import passes as compiled

    return compiled


def value_and_grad(
    c: ModelCodes, X: Any, y: Array, theta: Array, s: Scaling, *, want: bool = True
) -> tuple[float, Array]:
    """``(J(θ), ∇J(θ))`` over all rows (J is NaN unless ``want``): the fused full pass, row
    blocks on the thread pool, partial sums added in order.

    >>> from descend.models.linear import linear_regression
    >>> X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    >>> c = model_codes(linear_regression(1))
    >>> value_and_grad(c, X, y, np.array([1.0, 2.0]), scaling(None, X))
    (0.0, array([0., 0.]))
    """
    jit = passes()
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    m, n = X.shape[0], theta.size
    blocks = n_blocks(m, n)
    part, fpart = np.empty((blocks, n)), np.empty(blocks)

    def run(b: int) -> None:
        lo, hi = b * m // blocks, (b + 1) * m // blocks
        fpart[b] = jit.block(X, y, lo, hi, theta, s.mu, s.inv, c.loss, c.delta, c.n_outputs,
                             c.n_intercepts, part[b], want)  # fmt: skip

    _each_block(run, blocks)
    f, g = jit.finish(part, fpart, m, theta, c.n_intercepts, c.penalty, c.alpha, c.l1_ratio,
                      want)  # fmt: skip
    return float(f), g


def epoch(
    c: ModelCodes, X: Any, y: Array, perm: Array, batch_size: int, theta: Array, s: Scaling,
    rule: int, hp: Array, rates: Array, t: int, has_buf: bool, s1: Array, s2: Array, s3: Array,
    want: bool = False,
) -> tuple[Array, Array, Array, Array, int, bool, float, float]:  # fmt: skip
    """One compiled epoch over the rows ``perm`` (empty: in order) in batches of
    ``batch_size``; θ and s1..s3 are updated in place and returned with the number of updates
    made (a failed one included), whether all were finite, and with ``want`` the sum over the
    batches of J_B(θ) just before each update and that of the first batch (else 0, 0)."""
    out = passes().epoch(
        X, y, perm, batch_size, theta, s.mu, s.inv, c.loss, c.delta, c.n_outputs,
        c.n_intercepts, c.penalty, c.alpha, c.l1_ratio, rule, hp, rates, t, has_buf, s1, s2, s3,
        want,
    )  # fmt: skip
    theta, s1, s2, s3, steps, ok, total, first = out
    return theta, s1, s2, s3, int(steps), bool(ok), float(total), float(first)


def step(
    rule: int, hp: Array, lr: float, t: int, has_buf: bool, g: Array, theta: Array,
    s1: Array, s2: Array, s3: Array,
) -> tuple[bool, Array, Array, Array, Array]:  # fmt: skip
    """One compiled update θ − α·direction(g): (finite, new θ, new s1..s3), inputs untouched."""
    from descend.kernels.update import step as compiled_step

    out = [np.empty_like(theta) for _ in range(4)]
    ok = compiled_step(rule, hp, lr, t, has_buf, g, theta, out[0], s1, s2, s3, out[1], out[2],
                       out[3])  # fmt: skip
    return bool(ok), out[0], out[1], out[2], out[3]


def moments(X: Any, center: bool = True) -> tuple[Array, Array]:
    """(μ, Σ(x − μ)²) per column in one parallel pass over X (μ = 0 when not ``center``).

    Each row block gives its own mean and sum of squares about it
    (:func:`~descend.kernels.passes.column_moments`); the blocks are merged in block order by
    the same formulas, so the result does not depend on the number of threads.
    """
    jit = passes()
    m, d = X.shape
    blocks = n_blocks(m, d)
    bounds = [(b * m // blocks, (b + 1) * m // blocks) for b in range(blocks)]
    means, squares = np.zeros((blocks, d)), np.empty((blocks, d))

    def run(b: int) -> None:
        lo, hi = bounds[b]
        if center:
            jit.column_moments(X, lo, hi, means[b], squares[b])
        else:
            jit.column_squares(X, lo, hi, means[b], squares[b])

    _each_block(run, blocks)
    mean, total, n_a = means[0].copy(), squares[0].copy(), bounds[0][1]
    for b in range(1, blocks):
        n_b = bounds[b][1] - bounds[b][0]
        n = n_a + n_b
        delta = means[b] - mean
        mean += delta * (n_b / n)
        total += squares[b] + delta * delta * (n_a * (n_b / n))
        n_a = n
    return mean, total


def _each_block(run: Any, blocks: int) -> None:
    """``run(b)`` for every block b: on the thread pool, or in order when one thread will do."""
    workers = min(blocks, n_threads())
    if workers <= 1:
        for b in range(blocks):
            run(b)
    else:
        list(_pool(workers).map(run, range(blocks)))


def n_threads() -> int:
    """Threads for the full pass: ``NUMBA_NUM_THREADS`` (by default the CPUs available)."""
    from numba.core import config

    return max(1, int(getattr(config, "NUMBA_NUM_THREADS", os.cpu_count() or 1)))


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads for this process (a forked child makes its own)."""
    key = (os.getpid(), workers)
    if key not in _POOLS:
        _POOLS[key] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="descend")
    return _POOLS[key]
