r"""scikit-learn estimators of a multilayer perceptron: :class:`GDMLPRegressor` and
:class:`GDMLPClassifier`.

They follow scikit-learn's contract (keyword-only hyperparameters stored by ``__init__``,
validated in ``fit``, learned attributes ending in ``_``) and pass
``sklearn.utils.estimator_checks``. They train an :class:`~descend.models.mlp.MLP` with
:func:`descend.engine.fit.fit` on

    J(θ) = (1/m)·Σᵢ l(zᴸᵢ, yᵢ) + α/2·Σₗ ‖Wˡ‖²,

with l = ½(z − y)² for the regressor and the log loss (two classes) or the softmax
cross-entropy for the classifier, as scikit-learn's ``MLPRegressor``/``MLPClassifier`` do.
One difference of convention: scikit-learn divides its penalty by the rows of each batch
(α_sklearn/(2b)·Σ‖W‖²), descend's α does not, so ``alpha=a`` here is ``alpha=a·b`` there.

With ``scale=True`` (the default) the features are standardised, x′ = (x − μ)/σ, and the
network is trained on x′; the first layer is then folded back, W¹ = W′¹/σ and
b¹ = b′¹ − μ·W¹, so ``coefs_`` and ``intercepts_`` act on the raw features.

Running out of epochs (with ``tol`` set) or diverging emits a
:class:`~sklearn.exceptions.ConvergenceWarning`; ``status_`` and ``message_`` say how the last
fit ended, and ``history_.layer_grad_norms`` holds the per-layer gradient norms of each epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from descend.base.types import Array
from descend.engine.fit import FitResult, fit
from descend.estimators.base import (
    GDEstimator,
    class_codes,
    class_labels,
    log_proba,
    proba,
    validated,
)
from descend.models.activations import get_activation
from descend.models.init import check_init
from descend.models.linear import labels
from descend.models.mlp import MLP
from descend.models.scaling import Scaler
from descend.optim.transform import GradientTransformation


class _BaseMLP(GDEstimator):
    """What the regressor and the classifier share: parameters, scaling and the engine call."""

    hidden_layer_sizes: Sequence[int]
    activation: str
    init: str
    alpha: float
    _model: MLP
    _scaler: Scaler | None

    def _monitor(self, partial: bool) -> str:
        """Always "full": the per-layer gradient norms of ``history_`` (vanishing and exploding
        gradients) need ∇J over all rows after each epoch."""
        return "full"

    def __init__(
        self, *, hidden_layer_sizes: Sequence[int] = (100,), activation: str = "relu",
        init: str = "auto", alpha: float = 1e-4,
        optimizer: str | GradientTransformation = "adam", lr: Any = 1e-3,
        batch_size: int | str = 200, max_epochs: int = 200, tol: float | None = 1e-4,
        n_iter_no_change: int = 10, early_stopping: bool = False,
        validation_fraction: float = 0.1, shuffle: bool = True, scale: bool = True,
        random_state: Any = None, verbose: int = 0,
    ) -> None:  # fmt: skip
        self.hidden_layer_sizes, self.activation, self.init = hidden_layer_sizes, activation, init
        self.alpha, self.optimizer, self.lr = alpha, optimizer, lr
        self.batch_size, self.max_epochs, self.tol = batch_size, max_epochs, tol
        self.n_iter_no_change, self.early_stopping = n_iter_no_change, early_stopping
        self.validation_fraction, self.shuffle, self.scale = validation_fraction, shuffle, scale
        self.random_state, self.verbose = random_state, verbose

    def _check_params(self) -> None:
        get_activation(self.activation)  # raises UnknownNameError naming the choices
        if self.init != "auto":
            check_init(self.init)
        self._check_training()

    def _init_name(self) -> str:
        """``init="auto"``: He for ReLU, Xavier (Glorot) for the others."""
        if self.init != "auto":
            return self.init
        return "he" if get_activation(self.activation).name == "relu" else "xavier"

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int, str]:
        """Targets encoded for the engine, the number of outputs K and the loss."""
        raise NotImplementedError

    def _train(self, X: Any, y: Any, *, partial: bool, classes: Any = None) -> None:
        self._check_params()
        first = not (partial and hasattr(self, "_theta"))
        is_regressor = isinstance(self, RegressorMixin)
        X, y = validated(self, X, y, reset=first, y_numeric=is_regressor)
        target, n_outputs, loss = self._targets(y, classes, first, partial)
        if first:
            self._start()
            sizes: Any = self.hidden_layer_sizes
            hidden = (sizes,) if isinstance(sizes, int | np.integer) else tuple(sizes)
            self._model = MLP(
                X.shape[1], hidden, n_outputs, self.activation, loss, self._init_name(),
                alpha=self.alpha, seed=int(self._rng.integers(2**31)),
            )  # fmt: skip
            self._scaler = self._fit_scaler(X, center=True)
        if self._scaler is not None:
            X = (X - self._scaler[0].astype(X.dtype)) / self._scaler[1].astype(X.dtype)
        # One BLAS thread: a small network's per-batch products are too small to gain from
        # threads, and on a busy machine waiting for them costs several times the product
        # (benchmarks/bench_mlp.py measures both).
        with threadpool_limits(limits=1, user_api="blas"):
            result = fit(self._model, X, target, **self._fit_arguments(first, partial))
        self._store(result)
        self._warn_unconverged(result, partial, stacklevel=3)

    def _store(self, result: FitResult) -> None:
        self._store_status(result)
        self.loss_ = result.loss
        params = [(W.copy(), b.copy()) for W, b in self._model.unpack(result.theta)]
        if self._scaler is not None:  # fold the scaling into layer 1: W = W′/σ, b = b′ − μ·W
            mean, scale = self._scaler
            W1, b1 = params[0]
            W1 /= scale[:, None]
            params[0] = (W1, b1 - mean @ W1)
        self.coefs_ = [W for W, _ in params]
        self.intercepts_ = [b for _, b in params]
        self.n_layers_ = len(params) + 1
        self.n_outputs_ = self._model.n_outputs

    def _scores(self, X: Any) -> Array:
        """The output scores on validated raw features, shape (m,) or (m, K)."""
        check_is_fitted(self)
        X = validated(self, X, reset=False)
        theta = self._model.pack(list(zip(self.coefs_, self.intercepts_, strict=True)))
        return self._model.decision(theta, X)


_PARAMETERS = """\
    hidden_layer_sizes : sequence of int, default=(100,)
        Units of each hidden layer, input side first.
    activation : {"relu", "tanh", "sigmoid", "logistic", "identity"}, default="relu"
        φ of the hidden layers; the output layer is linear.
    init : {"auto", "xavier", "xavier_uniform", "he", "normal"}, default="auto"
        Initial weights (:mod:`descend.models.init`); ``"auto"``: He for ReLU, else Xavier.
    alpha : float, default=1e-4
        The L2 penalty α/2·Σ‖Wˡ‖² (not divided by the batch size, unlike scikit-learn's).
    optimizer : str or GradientTransformation, default="adam"
        A name of ``descend.OPTIMIZERS`` or a built optimizer such as ``descend.adam(0.01)``.
    lr : float, schedule, "auto" or None, default=1e-3
        The learning rate (``None``: the one a built optimizer carries).
    batch_size : "full" or int, default=200
        Rows per update (the last batch of an epoch holds the rest).
    max_epochs : int, default=200
        Most passes over the data.
    tol : float or None, default=1e-4
        Stop when the loss has not improved by more than ``tol`` for ``n_iter_no_change``
        epochs; None runs all ``max_epochs``.
    n_iter_no_change : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Apply ``tol`` to the loss on a held-out ``validation_fraction`` of the rows.
    validation_fraction : float, default=0.1
        Share of rows held out with ``early_stopping``.
    shuffle : bool, default=True
        A fresh order of the rows every epoch.
    scale : bool, default=True
        Standardise the features internally; ``coefs_`` still act on the raw features.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
    verbose : int, default=0
        Print one line per epoch when > 0."""

_ATTRIBUTES = """\
    coefs_ : list of ndarray
        Wˡ of each layer, shape (n_in, n_out), the first acting on the raw features.
    intercepts_ : list of ndarray
        bˡ of each layer.
    n_layers_ : int
        Layers counted as scikit-learn does (input and output included).
    n_outputs_ : int
        Units of the output layer.
    loss_ : float
        The training objective J at the end of the last fit.
    n_iter_, t_, status_, message_, lr_ :
        Epochs, updates, how the fit ended, its account, the learning rate used.
    history_ : FitHistory
        Per-epoch loss, gradient norm, learning rate and per-layer gradient norms."""


class GDMLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = f"""A multilayer perceptron for regression, trained by gradient descent.

    The loss is ½(z − y)², z the network's single linear output.

    Parameters
    ----------
{_PARAMETERS}

    Attributes
    ----------
{_ATTRIBUTES}

    Examples
    --------
    >>> import numpy as np
    >>> from descend.estimators.mlp import GDMLPRegressor
    >>> X = np.linspace(-2, 2, 200).reshape(-1, 1)
    >>> reg = GDMLPRegressor(hidden_layer_sizes=(16,), activation="tanh", lr=0.01,
    ...                      batch_size=20, max_epochs=1000, tol=1e-6, random_state=0)
    >>> reg.fit(X, np.sin(2 * X[:, 0])).score(X, np.sin(2 * X[:, 0])) > 0.99, reg.status_
    (True, 'converged')
    """

    def fit(self, X: Any, y: Any) -> GDMLPRegressor:
        """Fit from a fresh initialisation for up to ``max_epochs`` epochs; returns self."""
        self._train(X, y, partial=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> GDMLPRegressor:
        """One epoch over ``(X, y)``, continuing from the current θ; returns self."""
        self._train(X, y, partial=True)
        return self

    def predict(self, X: Any) -> Array:
        """Predicted values, shape (n_samples,)."""
        return self._scores(X)

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int, str]:
        return np.asarray(y, dtype=np.float64), 1, "squared"


class GDMLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = f"""A multilayer perceptron classifier, trained by gradient descent.

    Two classes: one output z with the log loss (P(classes_[1]) = σ(z)); K > 2 classes: K
    outputs with the softmax cross-entropy. Labels may be any values; ``classes_`` holds them
    sorted.

    Parameters
    ----------
{_PARAMETERS}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
{_ATTRIBUTES}

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from descend.estimators.mlp import GDMLPClassifier
    >>> X, y = make_moons(300, noise=0.1, random_state=0)
    >>> clf = GDMLPClassifier(hidden_layer_sizes=(16, 16), lr=0.01, batch_size=32,
    ...                       random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.97, clf.predict_proba(X[:2]).shape
    (True, (2, 2))
    """

    classes_: NDArray[Any]

    def fit(self, X: Any, y: Any) -> GDMLPClassifier:
        """Fit from a fresh initialisation for up to ``max_epochs`` epochs; returns self."""
        self._train(X, y, partial=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> GDMLPClassifier:
        """One epoch over ``(X, y)``, continuing from the current θ; ``classes`` (every label)
        is required on the first call. Returns self."""
        self._train(X, y, partial=True, classes=classes)
        return self

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int, str]:
        labels = class_labels(self, y, classes, first, partial)
        codes = class_codes(labels, y)
        self.classes_ = labels
        if len(labels) > 2:
            return codes, len(labels), "softmax"
        return codes.astype(np.float64), 1, "log_loss"

    def predict(self, X: Any) -> NDArray[Any]:
        """Predicted class labels, shape (n_samples,)."""
        return labels(self._scores(X), self.classes_)

    def predict_log_proba(self, X: Any) -> Array:
        """Log-probabilities of the classes, shape (n_samples, n_classes), computed stably."""
        return log_proba(self._scores(X))

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities, shape (n_samples, n_classes); each row sums to 1."""
        return proba(self._scores(X))
