r"""Losses on the linear score z of one sample, with their derivative ∂l/∂z.

A model's empirical risk is the mean of a per-sample loss l(zᵢ, yᵢ) of the score
zᵢ = xᵢ·w + b; by the chain rule its gradient is Xᵀ·(∂l/∂z)/m (see :mod:`descend.models.linear`),
so a loss only has to give its value and its derivative in z, both per sample.

=========================  ============================  =====================================
name (aliases)             l(z, y)                       ∂l/∂z
=========================  ============================  =====================================
squared (squared_error)    ½(z − y)²                     z − y
mse                        (z − y)²                      2(z − y)
absolute (absolute_error)  |z − y|                       sign(z − y)   (0 at z = y)
huber                      ½r² if |r| ≤ δ,               r if |r| ≤ δ, δ·sign(r) otherwise
                           δ|r| − ½δ² otherwise          (r = z − y, δ = 1 by default)
log_loss (cross_entropy)   log(1 + eᶻ) − y·z             σ(z) − y      (y ∈ {0, 1}, z the logit)
softmax                    log Σₖ e^{zₖ} − z_y           softmax(z) − onehot(y)
(softmax_cross_entropy)                                  (z of shape (m, K), y ∈ {0..K−1})
hinge                      max(0, 1 − y·z)               −y if y·z < 1, else 0  (y ∈ {−1, +1})
=========================  ============================  =====================================

``squared`` averaged over the m samples is the seeds' cost J = 1/(2m)·Σ(h(x) − y)², and is
scikit-learn's ``squared_error`` of ``SGDRegressor``; ``mse`` is the seeds' other convention,
with the gradient (2/m)·Σ(h(x) − y)·x. The log loss is evaluated as
``logaddexp(0, z) − y·z`` and its derivative with the logistic function σ (``expit``), and the
softmax cross-entropy with the max-shifted log-sum-exp, so that no score overflows.

Where a loss is not differentiable (|r| at 0, the hinge's kink at y·z = 1) ``dz`` returns the
subgradient given in the table.

>>> import numpy as np
>>> LOSSES["hinge"].value(np.array([0.5]), np.array([1.0]))
array([0.5])
>>> float(LOSSES["log_loss"].value(np.array([0.0]), np.array([1.0]))[0]) == float(np.log(2))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from descend.base.checks import check_positive
from descend.base.names import normalise, unknown_name
from descend.base.types import Array

Task = Literal["regression", "binary", "multiclass"]


@dataclass(frozen=True)
class Loss:
    """A per-sample loss l(z, y) of the score z, and its derivative ∂l/∂z.

    Subclasses set ``name`` and ``task`` (``"regression"``, ``"binary"`` — y ∈ {0, 1} for the
    log loss, y ∈ {−1, +1} for the hinge — or ``"multiclass"``, where z has one column per
    class and y holds class indices) and implement :meth:`value` and :meth:`dz`.
    """

    name: ClassVar[str] = "loss"
    task: ClassVar[Task] = "regression"

    def value(self, z: Any, y: Any) -> Array:
        """Per-sample loss l(zᵢ, yᵢ), an array of shape (m,)."""
        raise NotImplementedError

    def dz(self, z: Any, y: Any) -> Array:
        """Per-sample derivative ∂l/∂zᵢ, with the shape of ``z``."""
        raise NotImplementedError


def _residual(z: Any, y: Any) -> Array:
    return np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)


@dataclass(frozen=True)
class SquaredLoss(Loss):
    """l = ½(z − y)², ∂l/∂z = z − y (the seeds' 1/2m cost, sklearn's ``squared_error``).

    >>> z, y = np.array([3.0]), np.array([1.0])
    >>> SquaredLoss().value(z, y), SquaredLoss().dz(z, y)
    (array([2.]), array([2.]))
    """

    name: ClassVar[str] = "squared"

    def value(self, z: Any, y: Any) -> Array:
        r = _residual(z, y)
        return 0.5 * r * r

    def dz(self, z: Any, y: Any) -> Array:
        return _residual(z, y)


@dataclass(frozen=True)
class MSELoss(Loss):
    """l = (z − y)², ∂l/∂z = 2(z − y) (the seeds' MSE with the 2/n gradient).

    >>> z, y = np.array([3.0]), np.array([1.0])
    >>> MSELoss().value(z, y), MSELoss().dz(z, y)
    (array([4.]), array([4.]))
    """

    name: ClassVar[str] = "mse"

    def value(self, z: Any, y: Any) -> Array:
        r = _residual(z, y)
        return r * r

    def dz(self, z: Any, y: Any) -> Array:
        return 2.0 * _residual(z, y)


@dataclass(frozen=True)
class AbsoluteLoss(Loss):
    """l = |z − y|, ∂l/∂z = sign(z − y), 0 at z = y.

    >>> AbsoluteLoss().dz(np.array([3.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0]))
    array([ 1.,  0., -1.])
    """

    name: ClassVar[str] = "absolute"

    def value(self, z: Any, y: Any) -> Array:
        return np.abs(_residual(z, y))

    def dz(self, z: Any, y: Any) -> Array:
        return np.sign(_residual(z, y))


@dataclass(frozen=True)
class HuberLoss(Loss):
    """l = ½r² for |r| ≤ δ, δ|r| − ½δ² beyond; ∂l/∂z = clip(r, −δ, δ), with r = z − y.

    >>> HuberLoss(delta=1.0).value(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    """

    name: ClassVar[str] = "huber"
    delta: float = 1.0

    def __post_init__(self) -> None:
        check_positive("delta", self.delta)

    def value(self, z: Any, y: Any) -> Array:
        r = np.abs(_residual(z, y))
        d = self.delta
        return np.where(r <= d, 0.5 * r * r, d * r - 0.5 * d * d)

    def dz(self, z: Any, y: Any) -> Array:
        return np.clip(_residual(z, y), -self.delta, self.delta)


@dataclass(frozen=True)
class LogLoss(Loss):
    """Binary cross-entropy of the logit z: l = log(1 + eᶻ) − y·z, ∂l/∂z = σ(z) − y.

    y ∈ {0, 1}; this equals −y·log σ(z) − (1 − y)·log(1 − σ(z)) without ever forming
    log(0): ``logaddexp`` and ``expit`` are exact for any finite z.

    >>> LogLoss().value(np.array([0.0, 800.0]), np.array([1.0, 0.0])).round(6).tolist()
    [0.693147, 800.0]
    >>> LogLoss().dz(np.array([0.0]), np.array([1.0]))
    array([-0.5])
    """

    name: ClassVar[str] = "log_loss"
    task: ClassVar[Task] = "binary"

    def value(self, z: Any, y: Any) -> Array:
        z = np.asarray(z, dtype=np.float64)
        return np.logaddexp(0.0, z) - np.asarray(y, dtype=np.float64) * z

    def dz(self, z: Any, y: Any) -> Array:
        from scipy.special import expit  # scipy loads on the first logistic gradient

        return expit(np.asarray(z, dtype=np.float64)) - np.asarray(y, dtype=np.float64)


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class SoftmaxCrossEntropy(Loss):
    """Multinomial cross-entropy: l = log Σₖ e^{zₖ} − z_y, ∂l/∂zₖ = softmax(z)ₖ − [k = y].

    z has shape (m, K), one score per class; y holds class indices 0..K−1. The log-sum-exp
    is shifted by max(z) so that no exponential overflows.

    >>> SoftmaxCrossEntropy().value(np.zeros((1, 3)), np.array([2]))  # ln 3
    array([1.09861229])
    >>> SoftmaxCrossEntropy().dz(np.zeros((1, 2)), np.array([0]))
    array([[-0.5,  0.5]])
    """

    name: ClassVar[str] = "softmax"
    task: ClassVar[Task] = "multiclass"

    def value(self, z: Any, y: Any) -> Array:
        z = np.asarray(z, dtype=np.float64)
        idx = np.asarray(y).astype(np.intp, copy=False)
        return -_log_softmax(z)[np.arange(z.shape[0]), idx]

    def dz(self, z: Any, y: Any) -> Array:
        z = np.asarray(z, dtype=np.float64)
        idx = np.asarray(y).astype(np.intp, copy=False)
        p = np.exp(_log_softmax(z))
        p[np.arange(z.shape[0]), idx] -= 1.0
        return p


@dataclass(frozen=True)
class HingeLoss(Loss):
    """l = max(0, 1 − y·z), ∂l/∂z = −y where y·z < 1, else 0 (y ∈ {−1, +1}).

    >>> HingeLoss().value(np.array([0.5, 2.0]), np.array([1.0, 1.0]))
    array([0.5, 0. ])
    >>> HingeLoss().dz(np.array([0.5, 2.0]), np.array([-1.0, 1.0]))
    array([1., 0.])
    """

    name: ClassVar[str] = "hinge"
    task: ClassVar[Task] = "binary"

    def value(self, z: Any, y: Any) -> Array:
        margin = np.asarray(y, dtype=np.float64) * np.asarray(z, dtype=np.float64)
        return np.maximum(0.0, 1.0 - margin)

    def dz(self, z: Any, y: Any) -> Array:
        y = np.asarray(y, dtype=np.float64)
        margin = y * np.asarray(z, dtype=np.float64)
        return np.where(margin < 1.0, -y, 0.0)


squared = SquaredLoss()
mse = MSELoss()
absolute = AbsoluteLoss()
huber = HuberLoss()
log_loss = LogLoss()
softmax_cross_entropy = SoftmaxCrossEntropy()
hinge = HingeLoss()

#: The built-in losses by name, aliases included.
LOSSES: dict[str, Loss] = {
    "squared": squared,
    "squared_error": squared,
    "mse": mse,
    "absolute": absolute,
    "absolute_error": absolute,
    "huber": huber,
    "log_loss": log_loss,
    "cross_entropy": log_loss,
    "softmax": softmax_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "hinge": hinge,
}

#: The compiled kernels' code of each built-in loss, by the exact class (a subclass may change
#: the formulas, and then takes the NumPy path).
SQUARED, MSE, ABSOLUTE, HUBER, LOG_LOSS, HINGE, SOFTMAX = range(7)
LOSS_CODES: dict[type, int] = {
    SquaredLoss: SQUARED,
    MSELoss: MSE,
    AbsoluteLoss: ABSOLUTE,
    HuberLoss: HUBER,
    LogLoss: LOG_LOSS,
    HingeLoss: HINGE,
    SoftmaxCrossEntropy: SOFTMAX,
}


def dz_scalar(code: int, z: float, y: float, delta: float) -> float:
    """∂l/∂z of one sample of the loss ``code`` (K = 1), the formulas of :meth:`Loss.dz`.

    Plain arithmetic, compiled by :mod:`descend.kernels.rows`; δ is Huber's.

    >>> dz_scalar(HUBER, 5.0, 1.0, 1.0), dz_scalar(HINGE, 0.5, 1.0, 1.0)
    (1.0, -1.0)
    """
    if code == SQUARED:
        return z - y
    if code == MSE:
        return 2.0 * (z - y)
    if code == ABSOLUTE:
        r = z - y
        if r > 0.0:
            return 1.0
        if r < 0.0:
            return -1.0
        return r * 0.0  # np.sign: 0 at 0, NaN kept
    if code == HUBER:
        r = z - y
        if r > delta:
            return delta
        if r < -delta:
            return -delta
        return r
    if code == LOG_LOSS:
        return 1.0 / (1.0 + math.exp(-z)) - y  # expit(z) − y
    if y * z < 1.0:  # HINGE
        return -y
    return 0.0


def value_scalar(code: int, z: float, y: float, delta: float) -> float:
    """l(z, y) of one sample of the loss ``code`` (K = 1), the formulas of :meth:`Loss.value`.

    >>> value_scalar(LOG_LOSS, 0.0, 1.0, 1.0) == math.log(2.0), value_scalar(HUBER, 3.0, 1.0, 1.0)
    (True, 1.5)
    """
    if code == SQUARED:
        r = z - y
        return 0.5 * r * r
    if code == MSE:
        r = z - y
        return r * r
    if code == ABSOLUTE:
        return abs(z - y)
    if code == HUBER:
        r = abs(z - y)
        if r <= delta:
            return 0.5 * r * r
        return delta * r - 0.5 * delta * delta
    if code == LOG_LOSS:  # logaddexp(0, z) − y·z, as NumPy evaluates logaddexp
        if z == 0.0:
            soft = math.log(2.0)
        elif z > 0.0:
            soft = z + math.log1p(math.exp(-z))
        else:
            soft = math.log1p(math.exp(z))
        return soft - y * z
    return max(0.0, 1.0 - y * z)  # HINGE


def get_loss(loss: str | Loss) -> Loss:
    """A loss from its name (aliases allowed, case-insensitive), or a :class:`Loss` as is.

    >>> get_loss("squared_error").name
    'squared'
    >>> get_loss("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    descend.base.errors.UnknownNameError: unknown loss 'nope'; choose one of: squared, ...
    """
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name or a Loss, not {type(loss).__name__}")
    key = normalise(loss)
    if key not in LOSSES:
        raise unknown_name(loss, LOSSES, "loss")
    return LOSSES[key]
