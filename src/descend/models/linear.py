r"""Linear models whose parameters are one flat vector θ, so every optimizer applies unchanged.

θ packs the intercept(s) first, then the weights::

    one output (K = 1):  θ = [b, w₁, …, w_d]                       n_params = d + 1
    softmax (K classes): θ = [b₁, …, b_K, W₁₁, W₁₂, …, W_dK]        n_params = K(d + 1)

(``W`` of shape (d, K) in row-major order; without an intercept the b's are left out.)

The score is z = X·w + b, and the objective over the m rows given is

    J(θ) = (1/m)·Σᵢ l(zᵢ, yᵢ) + R(w),

with the per-sample loss l of :mod:`descend.models.losses` and the penalty R, which never touches
the intercept (scikit-learn's ``SGDRegressor``/``SGDClassifier`` parametrisation):

==============  =====================================  ======================================
penalty         R(w)                                   ∇R(w)
==============  =====================================  ======================================
None            0                                      0
"l2"            α/2·‖w‖²                               α·w
"l1"            α·‖w‖₁                                 α·sign(w)   (subgradient, 0 at 0)
"elasticnet"    α·(ρ‖w‖₁ + (1 − ρ)/2·‖w‖²)             α·(ρ·sign(w) + (1 − ρ)·w)
==============  =====================================  ======================================

(α = ``alpha``, ρ = ``l1_ratio``.) By the chain rule, with δ = ∂l/∂z per sample,

    ∂J/∂b = (1/m)·Σᵢ δᵢ,    ∂J/∂w = Xᵀδ / m + ∇R(w).

The same functions serve the full batch, one sample and a mini-batch: they average over
whatever rows they are given. A float32 ``X`` is used as is (no float64 copy): the products
are taken in X's dtype and their results cast to float64. :func:`check_data` validates a
training set for a model (shapes, finite numbers, encoded targets) once, before the loop.

>>> import numpy as np
>>> model = linear_regression(1)
>>> X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
>>> theta = model.pack(np.array([2.0]), 1.0)   # y = 2x + 1 fits exactly
>>> theta, model.loss_value(theta, X, y), model.gradient(theta, X, y)
(array([1., 2.]), 0.0, array([0., 0.]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from descend.base.errors import DataError, HyperparameterError, ShapeError
from descend.base.types import Array
from descend.models.losses import Loss, get_loss
from descend.models.model import EmpiricalRisk, Model

Penalty = Literal["l2", "l1", "elasticnet"] | None
PENALTIES = (None, "l2", "l1", "elasticnet")
#: The compiled kernels' code of each penalty.
NO_PENALTY, L2, L1, ELASTICNET = range(4)
PENALTY_CODES = {None: NO_PENALTY, "l2": L2, "l1": L1, "elasticnet": ELASTICNET}


def _floating(X: Any) -> NDArray[np.floating[Any]]:
    """X as a float array: float32/float64 kept as they are, anything else as float64."""
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


@dataclass(frozen=True)
class LinearModel(EmpiricalRisk):
    """A linear model z = X·w + b with a loss and a penalty, on a flat parameter vector θ.

    Parameters
    ----------
    n_features : int
        d, the number of columns of X.
    n_outputs : int, default=1
        K: 1 for regression and binary classification, the number of classes for softmax.
    loss : str or Loss, default="squared"
        A loss of :mod:`descend.models.losses` or its name.
    penalty : {None, "l2", "l1", "elasticnet"}, default=None
        The regularisation R(w) (the intercept is never penalised).
    alpha : float, default=0.0
        Penalty strength α.
    l1_ratio : float, default=0.15
        ρ, the share of L1 in the elastic net.
    fit_intercept : bool, default=True
        Whether θ holds intercepts b.
    """

    n_features: int
    n_outputs: int = 1
    loss: Loss | str = "squared"
    penalty: Penalty = None
    alpha: float = 0.0
    l1_ratio: float = 0.15
    fit_intercept: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "loss", get_loss(self.loss))
        for name in ("n_features", "n_outputs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise HyperparameterError(f"{name}={value!r} must be a whole number >= 1")
        self._check_outputs()
        if self.penalty not in PENALTIES:
            raise HyperparameterError(
                f"penalty={self.penalty!r}; choose None, 'l2', 'l1' or 'elasticnet'"
            )
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating):
            raise HyperparameterError(f"alpha={alpha!r} must be a number >= 0")
        if not (np.isfinite(alpha) and alpha >= 0):
            raise HyperparameterError(f"alpha={alpha!r} must be finite and >= 0")
        if not 0.0 <= self.l1_ratio <= 1.0:
            raise HyperparameterError(f"l1_ratio={self.l1_ratio!r} must be in [0, 1]")

    @property
    def n_intercepts(self) -> int:
        """Number of intercepts at the head of θ: K, or 0 without an intercept."""
        return self.n_outputs if self.fit_intercept else 0

    @property
    def n_params(self) -> int:
        """Length of θ: d·K weights plus K intercepts (when fitted).

        >>> softmax_regression(4, 3).n_params
        15
        """
        return self.n_features * self.n_outputs + self.n_intercepts

    def init_params(self) -> Array:
        """θ₀ = 0 (every weight and intercept zero)."""
        return np.zeros(self.n_params)

    def unpack(self, theta: Array) -> tuple[Array, Any]:
        """Views of θ as ``(coef, intercept)``.

        ``coef`` has shape (d,) (or (d, K) for softmax); ``intercept`` is a float (or an array
        of K; zero when the model fits none).

        >>> softmax_regression(2, 3).unpack(np.arange(9.0))
        (array([[3., 4., 5.],
               [6., 7., 8.]]), array([0., 1., 2.]))
        """
        theta = np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ShapeError(
                f"θ has shape {theta.shape} but this model has {self.n_params} parameters"
            )
        k = self.n_intercepts
        weights = theta[k:]
        if self.n_outputs == 1:
            return weights, float(theta[0]) if k else 0.0
        coef = weights.reshape(self.n_features, self.n_outputs)
        return coef, theta[:k] if k else np.zeros(self.n_outputs)

    def pack(self, coef: Any, intercept: Any = 0.0) -> Array:
        """θ from ``coef`` (shape (d,) or (d, K)) and ``intercept`` (float or (K,)).

        >>> linear_regression(2).pack([3.0, 4.0], 0.5)
        array([0.5, 3. , 4. ])
        """
        coef = np.asarray(coef, dtype=np.float64)
        expected = (self.n_features,) if self.n_outputs == 1 else (self.n_features, self.n_outputs)
        if coef.shape != expected:
            raise ShapeError(f"coef has shape {coef.shape}, expected {expected}")
        head = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (self.n_outputs,))
        parts = [head, coef.ravel()] if self.fit_intercept else [coef.ravel()]
        return np.concatenate(parts)

    def decision(self, theta: Array, X: Any) -> Array:
        """The scores z = X·w + b, shape (m,) or (m, K), as float64.

        The product is taken in X's dtype (float32 data is not copied to float64).
        """
        coef, intercept = self.unpack(theta)
        return scores(X, coef.T, intercept)

    def penalty_value(self, theta: Array) -> float:
        """R(w), the penalty of the weights (0 without a penalty).

        >>> linear_regression(2, penalty="l2", alpha=0.5).penalty_value(np.array([9.0, 1, 2]))
        1.25
        """
        if self.penalty is None or self.alpha == 0:
            return 0.0
        w = np.asarray(theta)[self.n_intercepts :]
        l2 = 0.5 * float(w @ w)
        l1 = float(np.abs(w).sum())
        if self.penalty == "l2":
            return self.alpha * l2
        if self.penalty == "l1":
            return self.alpha * l1
        return self.alpha * (self.l1_ratio * l1 + (1.0 - self.l1_ratio) * l2)

    def penalty_gradient(self, theta: Array) -> Array:
        """∇R(w) padded with zeros for the intercepts: a vector of length ``n_params``."""
        grad = np.zeros(self.n_params)
        if self.penalty is None or self.alpha == 0:
            return grad
        w = np.asarray(theta)[self.n_intercepts :]
        if self.penalty == "l2":
            grad[self.n_intercepts :] = self.alpha * w
        elif self.penalty == "l1":
            grad[self.n_intercepts :] = self.alpha * np.sign(w)
        else:
            rho = self.l1_ratio
            grad[self.n_intercepts :] = self.alpha * (rho * np.sign(w) + (1.0 - rho) * w)
        return grad

    def value_and_grad(
        self, theta: Array, X: Any, y: Any, *, value: bool = True
    ) -> tuple[float, Array]:
        """``(J(θ), ∇J(θ))`` over the rows given, sharing one computation of z.

        With ``value=False`` the value is skipped (returned as NaN).

        >>> model = logistic_regression(1)
        >>> model.value_and_grad(np.zeros(2), np.array([[1.0], [-1.0]]), np.array([1.0, 0.0]))
        (0.6931471805599453, array([ 0. , -0.5]))
        """
        X = _floating(X)
        m = X.shape[0]
        z = self.decision(theta, X)
        delta = self.loss_fn.dz(z, y)
        grad_w = (X.T @ delta.astype(X.dtype, copy=False)).astype(np.float64, copy=False) / m
        parts = [delta.mean(axis=0).reshape(-1), grad_w.ravel()]
        grad = np.concatenate(parts if self.fit_intercept else parts[1:])
        grad += self.penalty_gradient(theta)
        f = float("nan")
        if value:
            f = float(np.mean(self.loss_fn.value(z, y))) + self.penalty_value(theta)
        return f, grad


def scores(X: Any, coef: Any, intercept: Any) -> Array:
    """The linear decision function z = X·coefᵀ + b, as float64: the one formula behind every
    prediction (models, estimators, model files).

    ``coef`` has shape (d,) for one output, giving z of shape (m,), or (K, d), one row per
    output, giving (m, K). The product is taken in X's dtype (float32 data is not copied).

    >>> scores(np.array([[1.0, 2.0]]), np.array([3.0, 4.0]), 0.5)
    array([11.5])
    """
    X = _floating(X)
    w = np.asarray(coef, dtype=np.float64)
    z = (X @ w.T.astype(X.dtype, copy=False)).astype(np.float64, copy=False)
    return z + np.asarray(intercept, dtype=np.float64)


def labels(z: Array, classes: Any) -> NDArray[Any]:
    """Predicted labels from scores: ``classes[1]`` where z > 0 for one score per row (shape
    (m,) or (m, 1)), else the class of the largest score.

    >>> labels(np.array([-1.0, 2.0]), np.array(["no", "yes"])).tolist()
    ['no', 'yes']
    """
    z = np.asarray(z)
    one = z.ndim == 1 or z.shape[1] == 1
    index = (z.reshape(len(z), -1)[:, 0] > 0).astype(np.intp) if one else np.argmax(z, axis=1)
    picked: NDArray[Any] = np.asarray(classes)[index]
    return picked


def probabilities(z: Array) -> Array:
    """Class probabilities from scores: σ(z) for one score per row (binary logistic model,
    columns P(classes[0]) = σ(−z) and P(classes[1]) = σ(z)), else softmax(z) row by row.

    >>> probabilities(np.array([0.0, np.log(3.0)])).round(4).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1 or z.shape[1] == 1:
        z1 = z.reshape(-1)
        p1 = np.where(z1 >= 0, 1 / (1 + np.exp(-np.abs(z1))), 1 - 1 / (1 + np.exp(-np.abs(z1))))
        return np.column_stack([1 - p1, p1])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: Array = e / e.sum(axis=1, keepdims=True)
    return out


def linear_regression(
    n_features: int,
    loss: str | Loss = "squared",
    penalty: Penalty = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> LinearModel:
    """Linear regression: z = X·w + b with a regression loss (½(z − y)² by default).

    >>> linear_regression(3, penalty="l2", alpha=0.1).n_params
    4
    """
    return LinearModel(n_features, 1, loss, penalty, alpha, l1_ratio, fit_intercept)


def logistic_regression(
    n_features: int,
    penalty: Penalty = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> LinearModel:
    """Binary logistic regression: the log loss of the logit z = X·w + b, y ∈ {0, 1}."""
    return LinearModel(n_features, 1, "log_loss", penalty, alpha, l1_ratio, fit_intercept)


def softmax_regression(
    n_features: int,
    n_classes: int,
    penalty: Penalty = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> LinearModel:
    """Multinomial (softmax) regression over K classes, y ∈ {0..K−1}: one joint model, not
    one-vs-rest."""
    return LinearModel(n_features, n_classes, "softmax", penalty, alpha, l1_ratio, fit_intercept)


def linear_svm(
    n_features: int,
    penalty: Penalty = "l2",
    alpha: float = 1e-4,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
) -> LinearModel:
    """Linear support-vector machine: the hinge loss with y ∈ {−1, +1}.

    The defaults (L2 penalty, α = 1e-4) are those of scikit-learn's ``SGDClassifier``.
    """
    return LinearModel(n_features, 1, "hinge", penalty, alpha, l1_ratio, fit_intercept)


def check_data(model: Model, X: Any, y: Any, *, assume_finite: bool = False) -> tuple[Any, Any]:
    """``X`` as a 2-D float array (float32 kept) and ``y`` as the model's target array.

    Raises :class:`ShapeError` for wrong shapes and :class:`DataError` for non-numeric,
    missing or infinite values, or targets the loss cannot take. ``assume_finite`` skips the
    pass over X that looks for missing or infinite values (the caller has made it).
    """
    X, y = np.asarray(X), np.asarray(y)
    for name, a in (("X", X), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise DataError(f"{name} is not numeric (dtype {a.dtype}); convert it to numbers")
    if X.ndim != 2:
        raise ShapeError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ShapeError(
            f"X has shape {X.shape} but y has shape {y.shape}; y needs one value per row of X"
        )
    if len(X) == 0:
        raise DataError("X has no rows to train on")
    if X.shape[1] != model.n_features:
        raise ShapeError(f"X has shape {X.shape} but the model expects {model.n_features} features")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not assume_finite:
        check_finite(X, "X")
    check_finite(y, "y")
    task, name = model.loss_fn.task, model.loss_fn.name
    if task == "regression":
        return X, y.astype(np.float64, copy=False)
    if task == "multiclass":
        allowed = np.arange(model.n_outputs)
    else:
        allowed = np.array([-1.0, 1.0]) if name == "hinge" else np.array([0.0, 1.0])
    bad = ~np.isin(y, allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"y[{i}] = {y[i].item()!r}: the {name} loss takes encoded targets {allowed.tolist()}; "
            "encode the labels first"
        )
    return X, y.astype(np.intp if task == "multiclass" else np.float64)


def check_finite(a: np.ndarray[Any, Any], name: str) -> None:
    """A :class:`DataError` naming the first missing or infinite value of ``a``, if any."""
    with np.errstate(all="ignore"):
        if a.dtype.kind != "f" or np.isfinite(a.sum()):
            return
    bad = ~np.isfinite(a)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f"row {where[0]}, column {where[1]}" if a.ndim == 2 else f"row {where[0]}"
        value = a[tuple(where)]
        kind = "a missing value (NaN)" if np.isnan(value) else f"an infinite value ({value})"
        raise DataError(f"{name} has {kind} at {at}; drop or impute it before training")


def check_theta(model: Model, theta0: Any) -> Array:
    """``theta0`` as a fresh float64 θ of the model's length (zeros when None)."""
    if theta0 is None:
        return model.init_params()
    theta = np.array(theta0, dtype=np.float64)
    if theta.shape != (model.n_params,):
        raise ShapeError(
            f"theta0 has shape {theta.shape} but the model has {model.n_params} parameters"
        )
    if not np.isfinite(theta).all():
        raise DataError("theta0 contains a non-finite value; start at finite numbers")
    return theta
