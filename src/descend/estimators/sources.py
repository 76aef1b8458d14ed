"""GDRegressor and GDClassifier on a file source or a Dask collection.

``fit(src)`` with a :func:`descend.stream.source` (``y`` None), or ``fit(X, y)`` with Dask
arrays or a Dask DataFrame (wrapped by :func:`descend.dist.source`), trains with the same
hyperparameters as on arrays. What the in-memory fit reads from X first is measured in passes
over the source: the classes (one pass over the targets) and, with ``scale=True``, the mean and
spread of each feature (one pass, the chunks' moments merged by Chan et al.'s formulas), which
then standardise every chunk as it is read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.base.errors import DataError
from descend.base.types import Array
from descend.engine.train import fit
from descend.kernels.fit import moments, supported_data
from descend.models.linear import LinearModel
from descend.models.scaling import Scaler, from_moments


def is_source(X: Any) -> bool:
    """True for a descend source or a Dask collection (not in memory)."""
    return hasattr(X, "__descend_fit__") or hasattr(X, "__dask_graph__")


def as_source(X: Any, y: Any) -> Any:
    """A descend source for ``(X, y)``: as given, or Dask collections wrapped."""
    if hasattr(X, "__descend_fit__"):
        if y is not None:
            raise DataError("the source holds its targets; call fit(source) without y")
        return X
    from descend.dist import source

    return source(X, y)


def _raw_chunks(src: Any) -> Any:
    """``(X, y)`` chunks of a source as stored (file chunks, or Dask partitions)."""
    if hasattr(src, "chunks") and callable(src.chunks):
        return src.chunks(raw=True)
    import dask

    return (tuple(np.asarray(a) for a in dask.compute(*block)) for block in src._blocks)


def labels_and_moments(src: Any, scale: bool, classify: bool) -> tuple[Array | None, Any]:
    """The sorted class labels (classification) and (μ, σ²·m, m) per feature (scale=True),
    in one pass over the source (none when neither is asked for).

    The moments of the chunks are merged pairwise: with n = nₐ + n_b and δ = μ_b − μₐ,
    μ = μₐ + δ·n_b/n and M₂ = M₂ₐ + M₂_b + δ²·nₐ·n_b/n (M₂ = Σ(x − μ)²).
    """
    labels: set[Any] = set()
    n, mean, m2 = 0, None, np.zeros(0)
    for X, y in _raw_chunks(src) if scale or classify else ():
        if classify:
            labels.update(np.unique(y).tolist())
        if scale:
            nb, (mb, m2b) = len(X), _moments(X)
            if mean is None:
                n, mean, m2 = nb, mb, m2b
            else:
                delta, total = mb - mean, n + nb
                mean = mean + delta * nb / total
                m2 = m2 + m2b + delta**2 * n * nb / total
                n = total
    found = np.array(sorted(labels)) if classify else None
    return found, (mean, m2, n) if scale else None


def _moments(X: Any) -> tuple[Array, Array]:
    """(μ, Σ(x − μ)²) per column of one chunk: one compiled pass
    (:func:`descend.kernels.fit.moments`), NumPy's two when X is not a float matrix the
    kernels read or its sums overflow."""
    if supported_data(X) and len(X):
        mean, m2 = moments(X)
        if np.isfinite(mean).all() and np.isfinite(m2).all():
            return mean, m2
    Xf = np.asarray(X, dtype=np.float64)
    mean = Xf.mean(axis=0)
    return mean, ((Xf - mean) ** 2).sum(axis=0)


def train_source(
    est: Any, X: Any, y: Any, *, partial: bool, classes: Any = None, checkpoint: Any = None,
    resume: bool = False,
) -> None:  # fmt: skip
    """``est.fit`` / ``est.partial_fit`` on a source (see the module docstring).

    ``checkpoint`` and ``resume`` are those of :func:`descend.fit` (the command line's
    ``--checkpoint`` and ``--resume``).
    """
    est._check_params()
    src = as_source(X, y)
    first = not (partial and hasattr(est, "_theta"))
    classify = hasattr(est, "predict_proba") or hasattr(est, "decision_function")
    if first:
        labels, moments = labels_and_moments(src, bool(est.scale), classify)
        n_outputs = 1
        if classify:
            _, n_outputs = est._targets(labels, classes if classes is not None else labels,
                                        True, False)  # fmt: skip
        loss = "softmax" if n_outputs > 1 else est.loss
        est._model = LinearModel(src.n_features, n_outputs, loss, est.penalty, est.alpha,
                                 est.l1_ratio, est.fit_intercept)  # fmt: skip
        est._scaler = _scaler(est, moments)
        est._start()
        est.n_features_in_ = src.n_features
    elif est._model.n_features != src.n_features:
        raise DataError(
            f"the source has {src.n_features} features; the estimator was fitted on "
            f"{est._model.n_features}"
        )
    encode = None
    if classify:

        def encode(labels: Any) -> Any:
            return est._targets(np.asarray(labels), None, False, False)[0]

    result = fit(
        est._model, src.prepared(encode, est._scaler), **est._engine_optimizer(first),
        batch_size=est.batch_size, max_epochs=1 if partial else est.max_epochs,
        tol=None if partial else est.tol, n_iter_no_change=est.n_iter_no_change,
        shuffle=bool(est.shuffle), seed=est._rng, theta0=est._theta, opt_state=est._opt_state,
        verbose=bool(est.verbose), checkpoint=checkpoint, resume=resume,
        monitor=est._monitor(partial),
    )  # fmt: skip
    est._store(result)
    est._warn_unconverged(result, partial, stacklevel=4)


def _scaler(est: Any, moments: Any) -> Scaler | None:
    if moments is None:
        return est._keep_scaler(None)
    mean, m2, n = moments
    if not est.fit_intercept:  # no intercept to absorb a shift: scale only, σ² = Σx²/m
        m2, mean = m2 + n * mean**2, np.zeros_like(mean)
    return est._keep_scaler(from_moments(mean, m2, n))
