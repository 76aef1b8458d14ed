r"""What every descend estimator shares: hyperparameter checks, seeding, the engine call's
arguments, the fitted status, convergence warnings, input validation, class labels and
probabilities.

The estimators (:mod:`descend.estimators.linear`, :mod:`descend.estimators.mlp`) keep their
explicit ``__init__`` signatures, as scikit-learn requires; the logic they have in common lives
here, in :class:`GDEstimator` and a few functions. Probabilities from output scores z:

    two classes (z of shape (m,)):   P = [σ(−z), σ(z)],
    K classes (z of shape (m, K)):   log P = z − max z − log Σₖ exp(zₖ − max z).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from descend.base.checks import check_lr
from descend.base.errors import DataError, HyperparameterError
from descend.base.types import Array
from descend.engine.batches import check_batch_size
from descend.engine.compiled_fit import measure_scaler
from descend.engine.fit import FitResult, with_lr
from descend.models.scaling import Scaler
from descend.optim.rules import OPTIMIZERS, get_optimizer
from descend.optim.transform import GradientTransformation

_DTYPES = [np.float64, np.float32]


class GDEstimator(BaseEstimator):
    """The machinery of an estimator trained by :func:`descend.engine.fit.fit`.

    A subclass stores its hyperparameters in ``__init__`` (among them ``optimizer``, ``lr``,
    ``batch_size``, ``max_epochs``, ``tol``, ``n_iter_no_change``, ``early_stopping``,
    ``validation_fraction``, ``shuffle``, ``scale``, ``random_state`` and ``verbose``) and
    calls these methods from its ``fit`` / ``partial_fit``.
    """

    optimizer: str | GradientTransformation
    lr: Any
    batch_size: int | str
    max_epochs: int
    tol: float | None
    n_iter_no_change: int
    early_stopping: bool
    validation_fraction: float
    shuffle: bool
    scale: bool
    random_state: Any
    verbose: int
    # the engine's view: θ, the optimizer state, the chosen rate and the generator
    _theta: Array | None
    _opt_state: Any
    _lr_chosen: float | None
    _rng: np.random.Generator

    def _check_training(self) -> None:
        """Check ``batch_size``, ``optimizer`` and ``lr`` (descend's typed errors)."""
        check_batch_size(self.batch_size)
        if not isinstance(self.optimizer, GradientTransformation):
            get_optimizer(self.optimizer)  # raises UnknownNameError naming the choices
        if isinstance(self.lr, str) and self.lr != "auto":
            raise HyperparameterError(
                f"{type(self).__name__}: lr={self.lr!r}; give a positive number, a schedule, "
                "'auto' or None"
            )
        if self.lr is not None and not isinstance(self.lr, str):
            check_lr(self.lr)  # raises HyperparameterError for lr <= 0, NaN, ...

    def _seed(self) -> np.random.Generator:
        """A generator from ``random_state`` (None, an int, a Generator or a RandomState)."""
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            return np.random.default_rng(rs.randint(np.iinfo(np.int32).max))
        if rs is None or isinstance(rs, int | np.integer | np.random.Generator):
            return np.random.default_rng(rs)
        raise HyperparameterError(f"random_state={rs!r}; give None, an int or a RandomState")

    def _start(self) -> None:
        """Forget θ, the optimizer state and the chosen rate; seed a fresh generator."""
        self._theta, self._opt_state, self._lr_chosen = None, None, None
        self._rng, self.t_ = self._seed(), 0

    def _engine_optimizer(self, first: bool) -> dict[str, Any]:
        """The ``optimizer`` and ``lr`` arguments of :func:`fit` for this call."""
        opt, lr = self.optimizer, self.lr
        if lr == "auto" and not first and self._lr_chosen is not None:
            lr = self._lr_chosen  # partial_fit keeps the rate the range test chose
        if lr is None:
            return {"optimizer": get_optimizer(opt)}  # its own (or its default) rate
        if isinstance(opt, GradientTransformation) and not isinstance(lr, str):
            if opt.name not in OPTIMIZERS or opt.hyperparams is None:
                raise HyperparameterError(
                    "a hand-made optimizer chain carries its own learning rate; pass lr=None"
                )
            return {"optimizer": with_lr(opt, lr)}
        return {"optimizer": opt, "lr": lr}

    def _fit_arguments(self, first: bool, partial: bool) -> dict[str, Any]:
        """The keyword arguments of :func:`fit` for a ``fit`` (``partial=False``: up to
        ``max_epochs`` epochs) or a ``partial_fit`` (one epoch, no stopping rule)."""
        return {
            **self._engine_optimizer(first),
            "batch_size": self.batch_size,
            "max_epochs": 1 if partial else self.max_epochs,
            "tol": None if partial else self.tol,
            "n_iter_no_change": self.n_iter_no_change,
            "early_stopping": bool(self.early_stopping) and not partial,
            "validation_fraction": self.validation_fraction,
            "shuffle": bool(self.shuffle),
            "seed": self._rng,
            "theta0": self._theta,
            "opt_state": self._opt_state,
            "verbose": bool(self.verbose),
            "monitor": self._monitor(partial),
        }

    def _monitor(self, partial: bool) -> str:
        """``fit``'s ``monitor``: "full" (J and ∇J over all rows after each epoch) when the fit
        stops on the loss (``tol``) or prints it (``verbose``), else "running", which makes
        no pass of its own (``history_.loss`` then holds the running loss)."""
        return "running" if (partial or self.tol is None) and not self.verbose else "full"

    def _fit_scaler(self, X: Any, center: bool) -> Scaler | None:
        """μ and σ of the features for x′ = (x − μ)/σ (μ = 0 without ``center``), kept as
        ``scaler_mean_`` and ``scaler_scale_``; None (and neither attribute) when not ``scale``.
        """
        return self._keep_scaler(measure_scaler(X, center=center) if self.scale else None)

    def _keep_scaler(self, scaler: Scaler | None) -> Scaler | None:
        """Set ``scaler_mean_`` and ``scaler_scale_`` from ``scaler`` (remove them for None)."""
        for attr in ("scaler_mean_", "scaler_scale_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if scaler is not None:
            self.scaler_mean_, self.scaler_scale_ = scaler.mean, scaler.scale
        return scaler

    def _store_status(self, result: FitResult) -> None:
        """Keep θ and the optimizer state; set ``n_iter_``, ``t_``, ``status_``, ``message_``,
        ``history_`` and ``lr_`` (the chosen rate, else the last one used)."""
        self._theta, self._opt_state = result.theta, result.opt_state
        if result.lr_chosen is not None:
            self._lr_chosen = result.lr_chosen
        self.n_iter_, self.t_ = result.n_epochs, self.t_ + result.n_steps
        self.status_, self.message_ = result.status, result.message
        self.history_ = result.history
        last = result.history.lr[-1] if len(result.history) > 1 else math.nan
        self.lr_ = float(result.lr_chosen if result.lr_chosen is not None else last)

    def _warn_unconverged(self, result: FitResult, partial: bool, stacklevel: int) -> None:
        """A :class:`~sklearn.exceptions.ConvergenceWarning` when the fit diverged, or ran out
        of epochs with ``tol`` set (``partial_fit`` runs one epoch by design)."""
        ran_out = result.status == "max_epochs" and not partial and self.tol is not None
        if result.status == "diverged" or ran_out:
            advice = "; raise max_epochs or tol" if ran_out else ""
            message = f"{type(self).__name__}: {result.message}{advice}"
            warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel + 1)


def validated(est: Any, X: Any, y: Any = "no_validation", **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data``, its errors raised as descend's :class:`DataError`.

    Sparse X is refused in one line: the models train on dense arrays.
    """
    if _is_sparse(X):
        raise DataError(
            f"X is a sparse matrix ({type(X).__name__}); {type(est).__name__} needs dense "
            "data: pass X.toarray() when it fits in memory"
        )
    try:
        # scikit-learn's finiteness check sums X first: with |x| near 1e308 that sum overflows
        # (and warns) before the exact check runs
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(est, X, y, dtype=_DTYPES, **kwargs)
    except ValueError as exc:  # (a TypeError, for objects that are not numbers, stays one)
        if isinstance(exc, DataError):
            raise
        message = " ".join(str(exc).split())
        first = message.split(". ")[0].rstrip(".")
        if "NaN" in first or "infinity" in first:  # (the rest is a page of advice)
            message = f"{first}; drop or impute those values, e.g. with SimpleImputer"
        raise DataError(message) from exc


def _is_sparse(X: Any) -> bool:
    try:
        import scipy.sparse
    except ImportError:  # pragma: no cover - scikit-learn depends on SciPy
        return False
    return bool(scipy.sparse.issparse(X))


def class_labels(est: Any, y: Any, classes: Any, first: bool, partial: bool) -> NDArray[Any]:
    """The sorted class labels of a classifier's fit: found in y (or ``classes``) on the first
    call, ``est.classes_`` after it; at least two."""
    if _small_ints(y) is None:  # (1-D integers are class labels: nothing to check)
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise DataError(f"{exc}; y must hold class labels") from None
    if first and classes is None and partial:
        raise DataError("classes must be passed on the first call to partial_fit")
    labels: NDArray[Any]
    if not first:
        labels = est.classes_
    elif classes is None:
        labels = _unique(y)
    else:
        labels = np.unique(classes)
    if not first and classes is not None and not np.array_equal(np.unique(classes), labels):
        raise DataError(f"classes={classes!r} differs from classes_={labels!r}")
    if len(labels) < 2:
        raise DataError(
            f"{type(est).__name__} needs samples of at least 2 classes, but the data "
            f"contains only one class: {labels.tolist()!r}"
        )
    return labels


def class_codes(labels: NDArray[Any], y: Any) -> NDArray[np.intp]:
    """The index in ``labels`` of each label of y, 0..K−1; a label not in ``labels`` is a
    :class:`DataError`."""
    span = _small_ints(y)
    if span is not None and labels.dtype.kind in "iub":  # a table lookup
        lo, hi = span
        table = np.full(hi - lo + 1, -1, dtype=np.intp)
        inside = (labels >= lo) & (labels <= hi)
        table[labels[inside].astype(np.intp) - lo] = np.flatnonzero(inside)
        codes = table[np.subtract(y, lo, dtype=np.intp)]
        unseen = codes < 0
        codes = np.maximum(codes, 0)
    else:
        codes = np.minimum(np.searchsorted(labels, y), len(labels) - 1)
        unseen = labels[codes] != y
    if np.any(unseen):
        raise DataError(
            f"y holds labels not in classes_ {labels.tolist()}: "
            f"{np.unique(np.asarray(y)[unseen]).tolist()}"
        )
    return codes


#: Integer labels spanning fewer values than this are counted and looked up in a table.
SMALL_SPAN = 1 << 16


def _small_ints(y: Any) -> tuple[int, int] | None:
    """(min, max) of a 1-D integer y whose values span fewer than :data:`SMALL_SPAN`, else
    None."""
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.size and y.dtype.kind in "iu"):
        return None
    lo, hi = int(y.min()), int(y.max())
    return (lo, hi) if hi - lo < SMALL_SPAN else None


def _unique(y: Any) -> NDArray[Any]:
    """np.unique(y), by counting for small integer labels."""
    span = _small_ints(y)
    if span is None:
        return np.unique(y)
    lo, _ = span
    counts = np.bincount(np.subtract(y, lo, dtype=np.intp))
    return (np.flatnonzero(counts) + lo).astype(y.dtype)


def log_proba(z: Array) -> Array:
    """Log-probabilities of the classes from scores z, shape (m, K), computed stably."""
    if z.ndim == 1:
        return np.column_stack([log_expit(-z), log_expit(z)])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p: Array = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return log_p


def proba(z: Array) -> Array:
    """Class probabilities σ(z) or softmax(z) from scores z, shape (m, K); rows sum to 1."""
    if z.ndim == 1:
        return np.column_stack([expit(-z), expit(z)])
    return np.exp(log_proba(z))
