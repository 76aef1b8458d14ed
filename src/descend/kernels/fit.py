r"""Compiled epoch loops for the built-in linear models: :func:`descend.fit`'s fast path.

:func:`descend.engine.fit.run_epoch` is the readable NumPy reference: per batch it gathers the rows
``X[batch]``, computes z = X_B·w + b, δ = ∂l/∂z, the gradient [mean δ, X_Bᵀδ/m_B] + ∇R(w) with
BLAS, and calls ``opt.update``. The kernels here (Numba, in :mod:`descend.kernels.jit`) do
the same arithmetic without the copies:

* **mini-batch and per-sample epochs** (:func:`kernel_for`): one compiled call per epoch. For
  each batch and each row ``perm[i]`` of it, the row is read in place (``X[perm[i]]``, never
  gathered), z is its dot product with w (float64 accumulators, also for float32 X), δ comes
  from the loss, and δ·x is added to the gradient sum while the row is in cache. The gradient
  is then sum/m_B + ∇R(w) and the optimizer's update follows, coordinate by coordinate, with
  the formulas of :mod:`descend.optim.rules` in the same order of operations (as
  :mod:`descend.engine.compiled` does for :func:`descend.minimize`). The learning rate of every
  update of the epoch is evaluated in Python beforehand (a schedule at t = count … count +
  n_batches − 1), so schedules of any kind work. Shuffled rows come in random order, which
  the hardware cannot predict: the kernel prefetches the row (and target) 16 rows ahead.
* **the full batch** (``batch_size="full"``, and every evaluation of J and ∇J over all rows
  that :func:`descend.fit` makes each epoch and in its line search): one fused pass over X
  (z, δ and δ·x per row while it is in cache), in row blocks run in parallel, each with its
  own partial sums, which are added in block order: the result does not depend on the number
  of threads. The blocks run on a small pool of Python threads (the compiled block releases
  the GIL) rather than under Numba's ``parallel=True``: its OpenMP layer would make every
  later ``fork()`` of the process fatal (multiprocessing's default on Linux), and its
  parallel loops compile several seconds longer.

The loss, the penalty and the rule are integer codes at run time, not compile-time
specialisations: the kernels compile once per dtype of X (float32 and float64), on first use,
and are cached on disk (``cache=True``), so later processes start in well under a second.

The optimizer state goes in and comes out as the very NamedTuples the NumPy path keeps
(:class:`~descend.optim.transform.ChainState` of ``MomentumState``, ``AdamState``, ...,
``ScaleByScheduleState``), so epochs, ``partial_fit`` and switching between the two paths
continue seamlessly. The only difference from the reference is the order of the sums (rows in
sequence, or in blocks, instead of BLAS's order): updates agree to about 1e-12 relative, and
the tests hold θ after several epochs to 1e-9 on every loss × penalty × rule × batch size.
float32 data is read as float32 (no float64 copy); its products are accumulated in float64,
so its results are closer to float64 arithmetic than the NumPy path's float32 BLAS products.

What is not compiled falls back to the reference: a hand-made optimizer chain or a custom
loss (:func:`kernel_for` returns None), X that is not a C-contiguous, writeable float32 or
float64 array, and ``record_path=True``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from descend.base.types import Array
from descend.engine.batches import EpochOrder
from descend.engine.compiled import RULES, hyper_vector
from descend.engine.fit import EpochOutput, run_epoch
from descend.models.linear import LinearModel
from descend.models.losses import (
    AbsoluteLoss,
    HingeLoss,
    HuberLoss,
    LogLoss,
    MSELoss,
    SoftmaxCrossEntropy,
    SquaredLoss,
)
from descend.optim.rules import AdagradState, AdamState, MomentumState, RMSpropState
from descend.optim.transform import (
    ChainState,
    GradientTransformation,
    ScaleByScheduleState,
    learning_rate_at,
)

#: Loss codes of the kernels, by the exact class (a subclass may change the formulas).
LOSS_CODES: dict[type, int] = {
    SquaredLoss: 0,
    MSELoss: 1,
    AbsoluteLoss: 2,
    HuberLoss: 3,
    LogLoss: 4,
    HingeLoss: 5,
    SoftmaxCrossEntropy: 6,
}
PENALTY_CODES = {None: 0, "l2": 1, "l1": 2, "elasticnet": 3}
#: Rows per block of the parallel full pass (at most 64 blocks; a function of m and n only).
BLOCK_ROWS = 2048
#: Below this many multiply-adds (m·n) the full pass is one block: threads would cost more.
PARALLEL_MIN_WORK = 1 << 19

_NO_ROWS = np.empty(0, dtype=np.intp)


class ModelCodes(NamedTuple):
    """A model as the kernels take it: loss code and Huber δ, K, intercepts, penalty."""

    loss: int
    delta: float
    n_outputs: int
    n_intercepts: int
    penalty: int
    alpha: float
    l1_ratio: float


class _State(NamedTuple):
    """An optimizer state unpacked into fresh arrays for the kernel (s1..s3, see ``update``)."""

    updates: int
    t: int
    has_buf: bool
    s1: Array
    s2: Array
    s3: Array


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


def supported_optimizer(opt: GradientTransformation) -> bool:
    """True for a named rule (sgd, momentum/Nesterov, adagrad, rmsprop, adam/AMSGrad, adamw)."""
    return opt.name in RULES and opt.hyperparams is not None and "lr" in opt.hyperparams


def n_blocks(m: int, n: int) -> int:
    """Row blocks of the parallel full pass: ≈ m / BLOCK_ROWS, at most 64, and at most
    2²² partial sums in all; 1 (serial) for less than :data:`PARALLEL_MIN_WORK`."""
    if m * n < PARALLEL_MIN_WORK:
        return 1
    return max(1, min(64, m // BLOCK_ROWS, (1 << 22) // max(n, 1)))


def kernel_for(model: LinearModel, opt: GradientTransformation, X: Any) -> CompiledEpoch | None:
    """A compiled :data:`~descend.engine.fit.EpochRunner` for this model, optimizer and data,
    or None when one of them is not supported (then :func:`~descend.engine.fit.run_epoch`)."""
    if model_codes(model) is None or not supported_optimizer(opt) or not supported_data(X):
        return None
    return CompiledEpoch()


def evaluator_for(model: LinearModel, X: Any) -> CompiledEvaluator | None:
    """A compiled replacement for ``model.value_and_grad(theta, X, y)`` over all rows of X,
    or None when the model or the data is not supported."""
    if model_codes(model) is None or not supported_data(X):
        return None
    return CompiledEvaluator(model)


def full_loss_and_grad(model: LinearModel, X: Any, y: Any, theta: Array) -> tuple[float, Array]:
    """``(J(θ), ∇J(θ))`` over all rows in one parallel pass over X (NumPy when unsupported).

    >>> from descend.models.linear import linear_regression
    >>> X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    >>> full_loss_and_grad(linear_regression(1), X, y, np.array([1.0, 2.0]))
    (0.0, array([0., 0.]))
    """
    evaluate = evaluator_for(model, X)
    if evaluate is None:
        return model.value_and_grad(theta, X, y)
    return evaluate(theta, X, y)


class _Targets:
    """y as the kernels read it (contiguous, writeable float64), converted once per array."""

    def __init__(self) -> None:
        self._source: Any = None
        self._converted: Array = np.empty(0)

    def __call__(self, y: Any) -> Array:
        if y is not self._source:
            converted = np.ascontiguousarray(y, dtype=np.float64)
            if not converted.flags.writeable:
                converted = converted.copy()
            self._source, self._converted = y, converted
        return self._converted


def _jit() -> Any:
    from descend.kernels import jit as _kernels_jit  # imports Numba: only once a kernel runs

    return _kernels_jit


class CompiledEvaluator:
    """``(theta, X, y) -> (J, ∇J)`` over all rows: the fused parallel pass."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.codes = model_codes(model)
        self._targets = _Targets()

    def __call__(self, theta: Array, X: Any, y: Any) -> tuple[float, Array]:
        if self.codes is None or not supported_data(X):
            return self.model.value_and_grad(theta, X, y)
        return _value_and_grad(self.codes, X, self._targets(y), theta, want=True)


def _value_and_grad(
    c: ModelCodes, X: Any, y: Array, theta: Array, *, want: bool
) -> tuple[float, Array]:
    """The fused full pass: row blocks on the thread pool, partial sums added in order."""
    jit = _jit()
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    m, n = X.shape[0], theta.size
    blocks = n_blocks(m, n)
    part, fpart = np.empty((blocks, n)), np.empty(blocks)

    def run(b: int) -> None:
        lo, hi = b * m // blocks, (b + 1) * m // blocks
        fpart[b] = jit.block(X, y, lo, hi, theta, c.loss, c.delta, c.n_outputs,
                             c.n_intercepts, part[b], want)  # fmt: skip

    workers = min(blocks, n_threads())
    if workers <= 1:
        for b in range(blocks):
            run(b)
    else:
        list(_pool(workers).map(run, range(blocks)))
    f, g = jit.finish(part, fpart, m, theta, c.n_intercepts, c.penalty, c.alpha, c.l1_ratio,
                      want)  # fmt: skip
    return float(f), g


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


class CompiledEpoch:
    """:func:`~descend.engine.fit.run_epoch` compiled: same arguments, same :class:`EpochOutput`.

    Falls back to the reference for ``record=True`` and for anything :func:`kernel_for`
    would refuse (so that it is safe to pass as ``fit(..., kernel=...)``).
    """

    def __init__(self) -> None:
        self._targets = _Targets()

    def __call__(
        self, model: LinearModel, X: Any, y: Any, theta: Array, opt: GradientTransformation,
        state: Any, order: Any, *, record: bool = False,
    ) -> EpochOutput:  # fmt: skip
        codes = model_codes(model)
        name = opt.name if supported_optimizer(opt) else None
        unpacked = _read_state(name, state, len(theta)) if name else None
        if (
            record
            or codes is None
            or name is None
            or unpacked is None
            or not supported_data(X)
            or not isinstance(order, EpochOrder)
            or order.n_samples != X.shape[0]
        ):
            return run_epoch(model, X, y, theta, opt, state, order, record=record)
        return self._run(codes, name, X, self._targets(y), theta, opt, state, unpacked, order)

    def _run(
        self, c: ModelCodes, name: str, X: Any, y: Array, theta: Array,
        opt: GradientTransformation, state: Any, s: _State, order: EpochOrder,
    ) -> EpochOutput:  # fmt: skip
        jit = _jit()
        rule, hp = RULES[name], hyper_vector(opt)
        lr = (opt.hyperparams or {})["lr"]
        m = X.shape[0]
        theta = np.array(theta, dtype=np.float64)  # a fresh θ: the caller's is never written
        if order.batch_size >= m:  # one batch of all rows: the parallel fused pass
            rates = _rates(lr, s.updates, 1)
            _, g = _value_and_grad(c, X, y, theta, want=False)
            out = [np.empty_like(theta) for _ in range(4)]
            ok = jit.step(rule, hp, rates[0], s.t, s.has_buf, g, theta, out[0], s.s1, s.s2,
                            s.s3, out[1], out[2], out[3])  # fmt: skip
            steps = 1
            used = {"sgd": 0, "momentum": 1, "adagrad": 1}.get(name, 3)
            new_theta, s1, s2, s3 = theta, s.s1, s.s2, s.s3
            if ok:
                new_theta = out[0]
                s1 = out[1] if used >= 1 else s1
                s2, s3 = (out[2], out[3]) if used == 3 else (s2, s3)
        else:
            perm = _NO_ROWS if order.perm is None else np.asarray(order.perm, dtype=np.intp)
            rates = _rates(lr, s.updates, len(order))
            new_theta, s1, s2, s3, steps, ok = jit.epoch(
                X, y, np.ascontiguousarray(perm), int(order.batch_size), theta, c.loss, c.delta,
                c.n_outputs, c.n_intercepts, c.penalty, c.alpha, c.l1_ratio, rule, hp, rates,
                s.t, s.has_buf, s.s1, s.s2, s.s3,
            )  # fmt: skip
        done = int(steps) - (0 if ok else 1)
        if done == 0:
            return EpochOutput(theta, state, int(steps), bool(ok), [], [])
        new_state = _write_state(name, state, s.updates + done, s.t + done, s1, s2, s3)
        return EpochOutput(new_theta, new_state, int(steps), bool(ok), [], [])


def _rates(lr: Any, count: int, n_updates: int) -> Array:
    """α for the updates t = count … count + n_updates − 1; one entry when constant."""
    if callable(lr):
        ts = range(count, count + n_updates)
        return np.array([learning_rate_at(lr, t) for t in ts], dtype=np.float64)
    return np.array([float(lr)])


def _fresh(a: Any, n: int) -> Array | None:
    """A float64 copy of a state array of length n (None when it is not one)."""
    if a is None:
        return None
    out = np.array(a, dtype=np.float64)
    return out if out.shape == (n,) else None


def _read_state(name: str, state: Any, n: int) -> _State | None:
    """The NumPy path's optimizer state as fresh kernel arrays, or None if it is not the
    state of this rule (the reference then handles it, and raises where it must)."""
    if name == "sgd":
        if not isinstance(state, ScaleByScheduleState):
            return None
        zero = np.zeros(n)
        return _State(int(state.count), 0, False, zero, zero, zero)
    if not (
        isinstance(state, ChainState)
        and len(state.states) == (3 if name == "adamw" else 2)
        and isinstance(state.states[-1], ScaleByScheduleState)
    ):
        return None
    inner, count = state.states[0], int(state.states[-1].count)
    arrays: list[Array | None]
    t, has_buf = 0, False
    if name == "momentum" and isinstance(inner, MomentumState):
        has_buf = inner.buffer is not None
        arrays = [_fresh(inner.buffer, n) if has_buf else np.zeros(n)]
    elif name == "adagrad" and isinstance(inner, AdagradState):
        arrays = [_fresh(inner.sum_sq, n)]
    elif name == "rmsprop" and isinstance(inner, RMSpropState):
        arrays = [_fresh(inner.square_avg, n), _fresh(inner.grad_avg, n), _fresh(inner.buffer, n)]
    elif name in ("adam", "adamw") and isinstance(inner, AdamState):
        arrays = [_fresh(inner.m, n), _fresh(inner.v, n), _fresh(inner.v_max, n)]
        t = int(inner.t)
    else:
        return None
    arrays += [np.zeros(n)] * (3 - len(arrays))
    if any(a is None for a in arrays):
        return None
    s1, s2, s3 = (a for a in arrays if a is not None)
    return _State(count, t, has_buf, s1, s2, s3)


def _write_state(name: str, state: Any, count: int, t: int, s1: Array, s2: Array, s3: Array) -> Any:
    """The state after the epoch, in the NamedTuples of the NumPy path."""
    schedule = ScaleByScheduleState(count=count)
    if name == "sgd":
        return schedule
    inner: Any
    if name == "momentum":
        inner = MomentumState(buffer=s1)
    elif name == "adagrad":
        inner = AdagradState(sum_sq=s1)
    elif name == "rmsprop":
        inner = RMSpropState(square_avg=s1, grad_avg=s2, buffer=s3)
    else:
        inner = AdamState(m=s1, v=s2, v_max=s3, t=t)
    return ChainState((inner, *state.states[1:-1], schedule))
