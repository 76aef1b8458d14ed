"""The compiled path of :func:`descend.fit`: epoch runners and full-pass evaluators built on
the kernels of :mod:`descend.kernels.fit`, with the NumPy reference as their fallback.

:class:`CompiledEpoch` takes the place of :func:`~descend.engine.epoch.run_epoch` (same
arguments, same :class:`~descend.engine.epoch.EpochOutput`), :class:`CompiledEvaluator` that of
``model.value_and_grad`` over all rows. The optimizer state goes in and comes out as the very
NamedTuples the NumPy path keeps (:class:`~descend.optim.transform.ChainState` of
``MomentumState``, ``AdamState``, ..., ``ScaleByScheduleState``), so epochs, ``partial_fit``
and switching between the two paths continue seamlessly. Both take an optional
:class:`~descend.models.scaling.Scaler`: the kernels then read the standardised features on the
fly, and the fallback standardises a copy.

What is not compiled falls back to the reference: a hand-made optimizer chain or a custom
loss (:func:`kernel_for` returns None), X that is not a C-contiguous, writeable float32 or
float64 array, and ``record=True``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from descend.base.types import Array
from descend.engine.batches import EpochOrder
from descend.engine.epoch import EpochOutput, run_epoch
from descend.kernels import fit as kernels
from descend.kernels.fit import ModelCodes, Scaling, model_codes, scaling, supported_data
from descend.models.linear import LinearModel, check_finite
from descend.models.scaling import Scaler, fit_scaler, from_moments, standardise
from descend.optim.rules import (
    RULE_CODES,
    AdagradState,
    AdamState,
    MomentumState,
    RMSpropState,
    hyper_vector,
)
from descend.optim.transform import (
    ChainState,
    GradientTransformation,
    ScaleByScheduleState,
    learning_rate_at,
)

_NO_ROWS = np.empty(0, dtype=np.intp)


class _State(NamedTuple):
    """An optimizer state unpacked into fresh arrays for the kernel (s1..s3, see ``update``)."""

    updates: int
    t: int
    has_buf: bool
    s1: Array
    s2: Array
    s3: Array


def supported_optimizer(opt: GradientTransformation) -> bool:
    """True for a named rule (sgd, momentum/Nesterov, adagrad, rmsprop, adam/AMSGrad, adamw)."""
    return opt.name in RULE_CODES and opt.hyperparams is not None and "lr" in opt.hyperparams


def kernel_for(
    model: LinearModel, opt: GradientTransformation, X: Any, scaler: Scaler | None = None
) -> CompiledEpoch | None:
    """A compiled :data:`~descend.engine.epoch.EpochRunner` for this model, optimizer and data,
    or None when one of them is not supported (then :func:`~descend.engine.epoch.run_epoch`)."""
    if model_codes(model) is None or not supported_optimizer(opt) or not supported_data(X):
        return None
    return CompiledEpoch(scaler)


def evaluator_for(
    model: LinearModel, X: Any, scaler: Scaler | None = None
) -> CompiledEvaluator | None:
    """A compiled replacement for ``model.value_and_grad(theta, X, y)`` over all rows of X,
    or None when the model or the data is not supported."""
    if model_codes(model) is None or not supported_data(X):
        return None
    return CompiledEvaluator(model, scaler)


def full_loss_and_grad(
    model: LinearModel, X: Any, y: Any, theta: Array, scaler: Scaler | None = None
) -> tuple[float, Array]:
    """``(J(θ), ∇J(θ))`` over all rows in one parallel pass over X (NumPy when unsupported).

    >>> from descend.models.linear import linear_regression
    >>> X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    >>> full_loss_and_grad(linear_regression(1), X, y, np.array([1.0, 2.0]))
    (0.0, array([0., 0.]))
    """
    evaluate = evaluator_for(model, X, scaler)
    if evaluate is None:
        X = X if scaler is None else standardise(X, scaler)
        return model.value_and_grad(theta, X, y)
    return evaluate(theta, X, y)


#: Below this many elements of X the scaler is measured by NumPy (threads would cost more).
MOMENTS_MIN_SIZE = 1 << 20


def measure_scaler(X: Any, center: bool = True) -> Scaler:
    """:func:`descend.models.scaling.fit_scaler`, in two parallel compiled passes over a large
    X (same sums, in row blocks); NumPy for small or unsupported X, or when a sum of squares
    overflows.

    It also checks that X holds no missing or infinite value (a :class:`DataError` names the
    first), at no cost when the compiled sums come out finite: a NaN or ±∞ anywhere in a
    column makes its sum (or its sum of squares) NaN or ±∞.

    >>> measure_scaler(np.array([[1.0, 10.0], [3.0, 10.0]]))
    Scaler(mean=array([ 2., 10.]), scale=array([1., 1.]))
    """
    if not supported_data(X) or X.size < MOMENTS_MIN_SIZE:
        check_finite(X, "X")
        return fit_scaler(X, center)
    mean, squares = kernels.moments(X, center)
    if not (np.isfinite(mean).all() and np.isfinite(squares).all()):
        check_finite(X, "X")  # a missing value, or huge ones: the reference decides
        return fit_scaler(X, center)
    return from_moments(mean, squares, X.shape[0])


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


class _Scaled:
    """The kernels' μ, σ for one X (converted once per array), and the fallback's copy."""

    def __init__(self, scaler: Scaler | None) -> None:
        self.scaler = scaler
        self._key: Any = None
        self._scaling: Scaling | None = None

    def kernel(self, X: Any) -> Scaling:
        if self._scaling is None or self._key is not X.dtype:
            self._key, self._scaling = X.dtype, scaling(self.scaler, X)
        return self._scaling

    def reference(self, X: Any) -> Any:
        return X if self.scaler is None else standardise(X, self.scaler)


class CompiledEvaluator:
    """``(theta, X, y) -> (J, ∇J)`` over all rows: the fused parallel pass."""

    def __init__(self, model: LinearModel, scaler: Scaler | None = None) -> None:
        self.model = model
        self.codes = model_codes(model)
        self._targets = _Targets()
        self._scaled = _Scaled(scaler)

    def __call__(self, theta: Array, X: Any, y: Any) -> tuple[float, Array]:
        if self.codes is None or not supported_data(X):
            return self.model.value_and_grad(theta, self._scaled.reference(X), y)
        return kernels.value_and_grad(
            self.codes, X, self._targets(y), theta, self._scaled.kernel(X)
        )


class CompiledEpoch:
    """:func:`~descend.engine.epoch.run_epoch` compiled: same arguments, same :class:`EpochOutput`.

    Falls back to the reference for ``record=True`` and for anything :func:`kernel_for`
    would refuse (so that it is safe to pass as ``fit(..., kernel=...)``).
    """

    def __init__(self, scaler: Scaler | None = None) -> None:
        self._targets = _Targets()
        self._scaled = _Scaled(scaler)

    def __call__(
        self, model: LinearModel, X: Any, y: Any, theta: Array, opt: GradientTransformation,
        state: Any, order: Any, *, record: bool = False, running: bool = False,
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
            X = self._scaled.reference(X)
            return run_epoch(model, X, y, theta, opt, state, order, record=record,
                             running=running)  # fmt: skip
        return self._run(codes, name, X, self._targets(y), theta, opt, state, unpacked, order,
                         running)  # fmt: skip

    def _run(
        self, c: ModelCodes, name: str, X: Any, y: Array, theta: Array,
        opt: GradientTransformation, state: Any, s: _State, order: EpochOrder, running: bool,
    ) -> EpochOutput:  # fmt: skip
        rule, hp = RULE_CODES[name], hyper_vector(opt)
        lr = (opt.hyperparams or {})["lr"]
        m = X.shape[0]
        scaled = self._scaled.kernel(X)
        theta = np.array(theta, dtype=np.float64)  # a fresh θ: the caller's is never written
        if order.batch_size >= m:  # one batch of all rows: the parallel fused pass
            rates = _rates(lr, s.updates, 1)
            total, g = kernels.value_and_grad(c, X, y, theta, scaled, want=running)
            first = total
            ok, tn, n1, n2, n3 = kernels.step(rule, hp, float(rates[0]), s.t, s.has_buf, g,
                                              theta, s.s1, s.s2, s.s3)  # fmt: skip
            steps = 1
            used = {"sgd": 0, "momentum": 1, "adagrad": 1}.get(name, 3)
            new_theta, s1, s2, s3 = theta, s.s1, s.s2, s.s3
            if ok:
                new_theta = tn
                s1 = n1 if used >= 1 else s1
                s2, s3 = (n2, n3) if used == 3 else (s2, s3)
        else:
            perm = _NO_ROWS if order.perm is None else np.asarray(order.perm, dtype=np.intp)
            rates = _rates(lr, s.updates, len(order))
            new_theta, s1, s2, s3, steps, ok, total, first = kernels.epoch(
                c, X, y, np.ascontiguousarray(perm), int(order.batch_size), theta, scaled,
                rule, hp, rates, s.t, s.has_buf, s.s1, s.s2, s.s3, running,
            )  # fmt: skip
        done = steps - (0 if ok else 1)
        if done == 0:
            return EpochOutput(theta, state, steps, ok, [], [])
        new_state = _write_state(name, state, s.updates + done, s.t + done, s1, s2, s3)
        if not (running and ok):
            return EpochOutput(new_theta, new_state, steps, ok, [], [])
        return EpochOutput(new_theta, new_state, steps, ok, [], [], total / steps, first)


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
