r"""scikit-learn estimators on the descend engine: :class:`GDRegressor` and :class:`GDClassifier`.

Both follow the scikit-learn contract (``__init__`` stores keyword-only hyperparameters, ``fit``
validates them and returns ``self``, learned attributes end in ``_``) and pass
``sklearn.utils.estimator_checks``. They train a :class:`~descend.models.linear.LinearModel` with
:func:`descend.engine.fit.fit` on the objective

    J(w, b) = (1/m)·Σᵢ l(xᵢ·w + b, yᵢ) + R(w),      R(w) = α/2·‖w‖² for ``penalty="l2"``,

with the per-sample loss l of :mod:`descend.models.losses` (½(z − y)² for ``"squared_error"``).
Multiplying by 2m shows how the L2 solution relates to scikit-learn's closed forms::

    GDRegressor(penalty="l2", alpha=a, scale=False)  ==  Ridge(alpha=a·m)
    GDClassifier(penalty="l2", alpha=a, scale=False) ==  LogisticRegression(C=1/(a·m))

(m training rows; the intercept is never penalised). With ``scale=True`` (the default) the
features are standardised internally — x′ = (x − μ)/σ (:mod:`descend.models.scaling`) — and
training runs on x′, which the compiled kernels read on the fly (X is not copied); the fitted
coefficients are folded back, w = w′/σ and b = b′ − μ·w, so ``coef_``, ``intercept_`` and
``predict`` refer to the raw features. Without a penalty this changes nothing but the speed
(the minimiser is the same); with one, the penalty applies to the standardised weights w′.

A fit that runs out of epochs or diverges emits a :class:`~sklearn.exceptions.ConvergenceWarning`;
a diverged fit keeps the last finite θ, so the coefficients are never NaN. The fitted
attributes ``status_`` (``"converged"``, ``"max_epochs"``, ``"diverged"`` or ``"stopped"``) and
``message_`` say how the last fit ended, without parsing the warning.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from descend.base.errors import DataError, UnknownNameError
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
from descend.estimators.sources import is_source, train_source
from descend.models.linear import LinearModel, check_finite, labels, scores
from descend.models.losses import LOSSES
from descend.models.scaling import Scaler, fold
from descend.optim.transform import GradientTransformation

_REGRESSION_LOSSES = tuple(k for k, v in LOSSES.items() if v.task == "regression")
_CLASSIFICATION_LOSSES = ("log_loss", "hinge", "softmax")


class _BaseGD(GDEstimator):
    """What the regressor and the classifier share: parameters, scaling and the engine call."""

    _losses: ClassVar[tuple[str, ...]] = ()

    loss: str
    penalty: Any
    alpha: float
    l1_ratio: float
    fit_intercept: bool
    # the engine's view (θ on the standardised features): the model and the scaler
    _model: LinearModel
    _scaler: Scaler | None

    def __init__(
        self, *, loss: str = "", penalty: str | None = "l2", alpha: float = 1e-4,
        l1_ratio: float = 0.15, fit_intercept: bool = True,
        optimizer: str | GradientTransformation = "sgd", lr: Any = "auto",
        batch_size: int | str = "full", max_epochs: int = 1000, tol: float | None = 1e-4,
        n_iter_no_change: int = 5, early_stopping: bool = False,
        validation_fraction: float = 0.1, shuffle: bool = True, scale: bool = True,
        random_state: Any = None, verbose: int = 0,
    ) -> None:  # fmt: skip
        self.loss, self.penalty, self.alpha, self.l1_ratio = loss, penalty, alpha, l1_ratio
        self.fit_intercept, self.optimizer, self.lr = fit_intercept, optimizer, lr
        self.batch_size, self.max_epochs, self.tol = batch_size, max_epochs, tol
        self.n_iter_no_change, self.early_stopping = n_iter_no_change, early_stopping
        self.validation_fraction, self.shuffle, self.scale = validation_fraction, shuffle, scale
        self.random_state, self.verbose = random_state, verbose

    def _check_params(self) -> None:
        if not isinstance(self.loss, str) or self.loss not in self._losses:
            raise UnknownNameError(
                f"{type(self).__name__}: unknown loss={self.loss!r}; choose one of: "
                f"{', '.join(self._losses)}"
            )
        self._check_training()

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int]:
        """Targets encoded for the engine, and the number of model outputs K."""
        raise NotImplementedError

    def _train(self, X: Any, y: Any, *, partial: bool, classes: Any = None) -> None:
        if is_source(X):  # files (descend.stream) or a Dask collection: read chunk by chunk
            return train_source(self, X, y, partial=partial, classes=classes)
        self._check_params()
        first = not (partial and hasattr(self, "_theta"))
        is_regressor = isinstance(self, RegressorMixin)
        # X's finiteness is checked once, below: as a by-product of measuring μ and σ when
        # they are, else by one pass of its own
        X, y = validated(self, X, y, reset=first, y_numeric=is_regressor, ensure_all_finite=False)
        target, n_outputs = self._targets(y, classes, first, partial)
        if first:
            loss = "softmax" if n_outputs > 1 else self.loss
            self._model = LinearModel(
                X.shape[1], n_outputs, loss, self.penalty, self.alpha, self.l1_ratio,
                self.fit_intercept,
            )  # fmt: skip
            self._scaler = self._fit_scaler(X, center=self.fit_intercept)
            self._start()
        if not (first and self._scaler is not None):  # (measure_scaler checked it)
            check_finite(X, "X")
        arguments = self._fit_arguments(first, partial)
        result = fit(self._model, X, target, **arguments, scaler=self._scaler, assume_finite=True)
        self._store(result)
        self._warn_unconverged(result, partial, stacklevel=3)

    def _store(self, result: FitResult) -> None:
        self._store_status(result)
        coef, intercept = self._model.unpack(result.theta)
        coef, intercept = np.array(coef, dtype=np.float64), np.array(intercept, dtype=np.float64)
        if self._scaler is not None:  # fold the scaling in: w = w′/σ, b = b′ − μ·w
            coef, intercept = fold(coef, intercept, self._scaler)
        self._set_coef(coef, intercept)

    def _set_coef(self, coef: Array, intercept: Array) -> None:
        raise NotImplementedError

    @property
    def _repr_html_(self) -> Any:
        """scikit-learn's notebook view, with the fit's status once fitted (a property, as in
        scikit-learn, so that ``display="text"`` still falls back to the text repr)."""
        base = super()._repr_html_

        def html() -> str:
            from html import escape

            shown = str(base())
            if getattr(self, "status_", None) is None:
                return shown
            note = (
                f"<p>fitted: <b>{escape(str(self.status_))}</b> after {self.n_iter_} epochs, "
                f"α = {self.lr_:.4g}; {escape(str(self.message_))}</p>"
            )
            head, end, tail = shown.rpartition("</body>")
            return f"{head}{note}{end}{tail}" if end else shown + note

        return html

    def _raw_decision(self, X: Any) -> Array:
        """X·coef_ᵀ + intercept_ on validated raw features, shape (m,) or (m, K)."""
        check_is_fitted(self)
        X = validated(self, X, reset=False)
        z = scores(X, self.coef_, self.intercept_)
        return z[:, 0] if z.ndim == 2 and z.shape[1] == 1 else z


class GDRegressor(RegressorMixin, _BaseGD):
    """Linear regression trained by gradient descent (batch, stochastic or mini-batch).

    Parameters
    ----------
    loss : {"squared_error", "squared", "mse", "absolute_error", "absolute", "huber"}, \
default="squared_error"
        Per-sample loss of the residual r = z − y: ½r², r², |r| or Huber (δ = 1).
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        R(w): α/2‖w‖², α‖w‖₁ or α(ρ‖w‖₁ + (1 − ρ)/2‖w‖²); the intercept is not penalised.
    alpha : float, default=1e-4
        Penalty strength α (``Ridge(alpha=α·m)`` for the squared loss, ``scale=False``).
    l1_ratio : float, default=0.15
        ρ, the L1 share of the elastic net.
    fit_intercept : bool, default=True
        Learn an intercept b.
    optimizer : str or GradientTransformation, default="sgd"
        A name of ``descend.OPTIMIZERS`` or a built optimizer such as ``descend.adam(0.01)``.
    lr : float, schedule, "auto" or None, default="auto"
        The learning rate. ``"auto"``: a backtracking line search each step for
        ``batch_size="full"``, a learning-rate range test for mini-batches. ``None``: the
        optimizer's own rate (the one a built optimizer carries, or its default).
    batch_size : "full" or int, default="full"
        Rows per update: all of them (batch gradient descent), 1 (stochastic) or b.
    max_epochs : int, default=1000
        Most passes over the data.
    tol : float or None, default=1e-4
        Stop when the loss has not improved by more than ``tol`` for ``n_iter_no_change``
        epochs in a row; None runs all ``max_epochs``.
    n_iter_no_change : int, default=5
        See ``tol``.
    early_stopping : bool, default=False
        Apply ``tol`` to the loss on a held-out ``validation_fraction`` of the rows.
    validation_fraction : float, default=0.1
        Share of rows held out with ``early_stopping``.
    shuffle : bool, default=True
        Visit the rows in a fresh random order every epoch (mini-batches).
    scale : bool, default=True
        Standardise the features internally; ``coef_`` still refers to the raw features.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the validation split.
    verbose : int, default=0
        Print one line per epoch when > 0.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Weights w on the raw features.
    intercept_ : float
        The intercept b.
    n_iter_ : int
        Epochs run by the last ``fit`` (1 for ``partial_fit``).
    t_ : int
        Updates made since the last ``fit`` started.
    status_ : {"converged", "max_epochs", "diverged", "stopped"}
        How the last ``fit`` or ``partial_fit`` ended: the loss stopped improving by more than
        ``tol``, the epochs ran out (always so for ``partial_fit``, which runs one epoch), or
        the loss diverged (``coef_`` is then the last finite one).
    message_ : str
        The engine's one-line account of ``status_``, e.g. what to change after a divergence.
    history_ : FitHistory
        Per-epoch loss, validation loss, gradient norm and learning rate of the last call.
        The loss is J over all rows after each epoch, except where nothing reads it during
        the fit (``tol=None`` and ``verbose=0``, and ``partial_fit``): then no pass over the
        data is made for it, and it is the running loss (each batch's J_B just before its
        update, averaged over the epoch; ``loss[0]`` and ``grad_norm`` NaN). Call
        ``score`` or :func:`descend.fit` with ``monitor="full"`` for J itself.
    lr_ : float
        The learning rate used: the chosen one for ``lr="auto"`` (the last line-search step
        for ``batch_size="full"``).
    scaler_mean_, scaler_scale_ : ndarray of shape (n_features,)
        μ and σ of the internal standardisation (``scale=True`` only).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.estimators.linear import GDRegressor
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> reg = GDRegressor(penalty=None, tol=1e-12).fit(X, 2 * X[:, 0] + 1)
    >>> round(float(reg.coef_[0]), 6), round(reg.intercept_, 6), reg.score(X, 2 * X[:, 0] + 1)
    (2.0, 1.0, 1.0)
    """

    def __init__(
        self, *, loss: str = "squared_error", penalty: str | None = "l2", alpha: float = 1e-4,
        l1_ratio: float = 0.15, fit_intercept: bool = True,
        optimizer: str | GradientTransformation = "sgd", lr: Any = "auto",
        batch_size: int | str = "full", max_epochs: int = 1000, tol: float | None = 1e-4,
        n_iter_no_change: int = 5, early_stopping: bool = False,
        validation_fraction: float = 0.1, shuffle: bool = True, scale: bool = True,
        random_state: Any = None, verbose: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(
            loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            fit_intercept=fit_intercept, optimizer=optimizer, lr=lr, batch_size=batch_size,
            max_epochs=max_epochs, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            shuffle=shuffle, scale=scale, random_state=random_state, verbose=verbose,
        )  # fmt: skip

    _losses: ClassVar[tuple[str, ...]] = _REGRESSION_LOSSES

    def fit(self, X: Any, y: Any = None) -> GDRegressor:
        """Fit from zeros for up to ``max_epochs`` epochs.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), or a source
            In memory, or a file source (:func:`descend.stream.source`, then ``y=None``), or
            Dask arrays / a Dask DataFrame (:mod:`descend.dist`).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._train(X, y, partial=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> GDRegressor:
        """One epoch over ``(X, y)``, continuing from the current θ and optimizer state.

        The first call (when not fitted yet) also fixes the internal scaling from this chunk.

        Returns
        -------
        self
        """
        self._train(X, y, partial=True)
        return self

    def predict(self, X: Any) -> Array:
        """Predicted values X·coef_ + intercept_, shape (n_samples,)."""
        return self._raw_decision(X)

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int]:
        return np.asarray(y, dtype=np.float64), 1

    def _set_coef(self, coef: Array, intercept: Array) -> None:
        self.coef_, self.intercept_ = coef, float(intercept)


class GDClassifier(ClassifierMixin, _BaseGD):
    """Linear classifier trained by gradient descent: logistic, multinomial (softmax) or SVM.

    With ``loss="log_loss"`` two classes give binary logistic regression and more classes a
    true multinomial (softmax) model — one joint model, not one-vs-rest. ``loss="softmax"``
    uses the multinomial model for two classes too; ``loss="hinge"`` is a linear SVM and
    takes two classes only. Labels may be any values (strings too): ``classes_`` holds them
    sorted, and they are encoded 0/1 (log loss), −1/+1 (hinge) or 0..K−1 (softmax).

    Parameters
    ----------
    loss : {"log_loss", "softmax", "hinge"}, default="log_loss"
        The per-sample loss; ``predict_proba`` exists for the first two only.
    penalty, alpha, l1_ratio, fit_intercept, optimizer, lr, batch_size, max_epochs, tol, \
n_iter_no_change, early_stopping, validation_fraction, shuffle, scale, random_state, verbose
        As for :class:`GDRegressor`. With ``penalty="l2"``, ``loss="log_loss"`` and
        ``scale=False`` the model is ``LogisticRegression(C=1/(alpha·m))``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights on the raw features: one row for a binary log-loss or hinge model, one per
        class for the multinomial model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercepts.
    n_iter_, t_, status_, message_, history_, lr_, scaler_mean_, scaler_scale_, \
n_features_in_, feature_names_in_
        As for :class:`GDRegressor`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from descend.estimators.linear import GDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GDClassifier(alpha=1e-3).fit(X, y)
    >>> clf.coef_.shape, clf.score(X, y) > 0.95, round(float(clf.predict_proba(X[:1]).sum()), 12)
    ((3, 4), True, 1.0)
    """

    def __init__(
        self, *, loss: str = "log_loss", penalty: str | None = "l2", alpha: float = 1e-4,
        l1_ratio: float = 0.15, fit_intercept: bool = True,
        optimizer: str | GradientTransformation = "sgd", lr: Any = "auto",
        batch_size: int | str = "full", max_epochs: int = 1000, tol: float | None = 1e-4,
        n_iter_no_change: int = 5, early_stopping: bool = False,
        validation_fraction: float = 0.1, shuffle: bool = True, scale: bool = True,
        random_state: Any = None, verbose: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(
            loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            fit_intercept=fit_intercept, optimizer=optimizer, lr=lr, batch_size=batch_size,
            max_epochs=max_epochs, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            shuffle=shuffle, scale=scale, random_state=random_state, verbose=verbose,
        )  # fmt: skip

    _losses: ClassVar[tuple[str, ...]] = _CLASSIFICATION_LOSSES
    classes_: NDArray[Any]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = self.loss != "hinge"
        return tags

    def fit(self, X: Any, y: Any = None) -> GDClassifier:
        """Fit from zeros for up to ``max_epochs`` epochs.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), or a source
            In memory, or a file source (:func:`descend.stream.source`, then ``y=None``), or
            Dask arrays / a Dask DataFrame (:mod:`descend.dist`).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self
        """
        self._train(X, y, partial=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> GDClassifier:
        """One epoch over ``(X, y)``, continuing from the current θ and optimizer state.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like, optional
            Every class label; required on the first call (when not fitted yet).

        Returns
        -------
        self
        """
        self._train(X, y, partial=True, classes=classes)
        return self

    def _targets(self, y: Any, classes: Any, first: bool, partial: bool) -> tuple[Any, int]:
        labels = class_labels(self, y, classes, first, partial)
        if self.loss == "hinge" and len(labels) > 2:
            raise DataError(
                "Only binary classification is supported with loss='hinge': y has "
                f"{len(labels)} classes; use loss='log_loss' or 'softmax' for multiclass"
            )
        codes = class_codes(labels, y)
        self.classes_ = labels
        if self.loss == "softmax" or len(labels) > 2:
            return codes, len(labels)
        return (2.0 * codes - 1.0 if self.loss == "hinge" else codes.astype(np.float64)), 1

    def _set_coef(self, coef: Array, intercept: Array) -> None:
        if coef.ndim == 1:
            self.coef_, self.intercept_ = coef[None, :], intercept.reshape(1)
        else:
            self.coef_, self.intercept_ = np.ascontiguousarray(coef.T), intercept

    def decision_function(self, X: Any) -> Array:
        """Scores: shape (n_samples,) for two classes (> 0 means ``classes_[1]``), else
        (n_samples, n_classes)."""
        z = self._raw_decision(X)
        return z[:, 1] - z[:, 0] if z.ndim == 2 and z.shape[1] == 2 else z

    def predict(self, X: Any) -> NDArray[Any]:
        """Predicted class labels, shape (n_samples,)."""
        return labels(self.decision_function(X), self.classes_)

    def _has_proba(self) -> bool:
        if self.loss == "hinge":
            raise AttributeError("probability estimates are not available for loss='hinge'")
        return True

    @available_if(_has_proba)
    def predict_log_proba(self, X: Any) -> Array:
        """Log-probabilities of the classes, shape (n_samples, n_classes), computed stably."""
        return log_proba(self._raw_decision(X))

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> Array:
        """Class probabilities σ(z) or softmax(z), shape (n_samples, n_classes); rows sum to 1."""
        return proba(self._raw_decision(X))
