r"""Feature scaling for the linear models, and its fold-back into the raw features' θ.

Training on standardised features x′ = (x − μ)/σ conditions gradient descent far better than
raw features of different sizes. A linear model on x′ is a linear model on x::

    z = x′·w′ + b′ = x·(w′/σ) + (b′ − μ·(w′/σ)),   so   w = w′/σ,   b = b′ − μ·w

(:func:`fold`; for K outputs w′ has one column per output, divided row-wise by σ). Without a
penalty the minimiser is the same; with one, the penalty applies to w′. :func:`standardise`
is the NumPy reference (one copy of X); the compiled kernels read x′ on the fly instead, with
the same arithmetic in X's dtype, (x − μ)·(1/σ) (:mod:`descend.kernels.rows`), so they copy
nothing.

>>> import numpy as np
>>> X = np.array([[1.0, 10.0], [3.0, 10.0]])
>>> s = fit_scaler(X)
>>> s.mean, s.scale          # a constant column keeps σ = 1
(array([ 2., 10.]), array([1., 1.]))
>>> standardise(X, s)
array([[-1.,  0.],
       [ 1.,  0.]])
>>> fold(np.array([2.0, 0.0]), 0.5, s)   # z = 2·(x₁ − 2) + 0.5 = 2·x₁ − 3.5
(array([2., 0.]), np.float64(-3.5))
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from descend.base.errors import DataError
from descend.base.types import Array

#: Rows per block when measuring the spread of the features (3 MB of float64 for 100 features:
#: the block stays in cache between the subtraction and the sum of squares).
BLOCK_ROWS = 4096


class Scaler(NamedTuple):
    """μ (zeros when not centring) and σ (1 for a constant column), float64, per feature."""

    mean: Array
    scale: Array


def fit_scaler(X: Any, center: bool = True) -> Scaler:
    """μ and σ of the columns of X (σ: the population standard deviation).

    Σ(x − μ)² is summed by blocks of rows, so that no temporary of the size of X is made. A
    column whose σ is below rounding noise (constant) keeps σ = 1. ``center=False`` (a model
    without an intercept, which could not absorb the shift) sets μ = 0, and σ is then the
    root mean square of the column. Features near the float range (|x| ≥ 1e154, where (x − μ)²
    overflows) are measured as x/c with c = max|x| and scaled back; a column where x − μ
    itself overflows raises :class:`~descend.DataError`.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean, scale = _spread(X, center, 1.0)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            c = np.max(np.abs(X), axis=0).astype(np.float64)
            c[~(c > 0)] = 1.0
            mean, scale = _spread(X, center, c)
    bad = ~(np.isfinite(mean) & np.isfinite(scale))
    if bad.any():
        raise DataError(
            f"feature {int(np.flatnonzero(bad)[0])} spans more than the float range "
            "(x − mean overflows); rescale it, e.g. divide it by its largest value"
        )
    return _constant_columns_kept(mean, scale)


def _spread(X: Any, center: bool, c: Any) -> tuple[Array, Array]:
    """μ and σ of each column, computed on X/c and scaled back: (c·mean(x/c), c·std(x/c))."""
    m = X.shape[0]
    unit = bool(np.all(c == 1.0))
    mean = np.zeros(X.shape[1])
    if center:
        if unit:
            mean = X.mean(axis=0, dtype=np.float64)
        else:
            for start in range(0, m, BLOCK_ROWS):
                mean += (X[start : start + BLOCK_ROWS] / c).sum(axis=0, dtype=np.float64)
            mean = c * (mean / m)
    squares = np.zeros_like(mean)
    for start in range(0, m, BLOCK_ROWS):
        block = X[start : start + BLOCK_ROWS] - mean
        if not unit:
            block /= c
        squares += np.einsum("ij,ij->j", block, block)
    return mean, c * np.sqrt(squares / m)


def from_moments(mean: Array, squares: Array, m: int) -> Scaler:
    """The :class:`Scaler` from μ and Σ(x − μ)² over m rows: σ = √(Σ(x − μ)²/m), and 1 where
    σ is below rounding noise relative to μ (a constant column)."""
    return _constant_columns_kept(mean, np.sqrt(squares / m))


def _constant_columns_kept(mean: Array, scale: Array) -> Scaler:
    scale = np.array(scale, dtype=np.float64)
    scale[~(scale > 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0))] = 1.0
    return Scaler(mean, scale)


def standardise(X: Any, scaler: Scaler) -> Any:
    """x′ = (x − μ)·(1/σ) in X's dtype: one copy of X (the reference the kernels match).

    The reciprocal 1/σ is taken once per feature (in float64, then rounded to X's dtype), so
    that every element costs a multiplication rather than a division, here and in the kernels.
    """
    out = X - scaler.mean.astype(X.dtype)
    out *= reciprocal_scale(scaler, X.dtype)
    return out


def reciprocal_scale(scaler: Scaler, dtype: Any) -> Array:
    """1/σ per feature in ``dtype``, the factor of :func:`standardise`."""
    return (1.0 / scaler.scale).astype(dtype)


def fold(coef: Array, intercept: Any, scaler: Scaler) -> tuple[Array, Any]:
    """(w, b) on the raw features from (w′, b′) on the standardised ones: w = w′/σ,
    b = b′ − μ·w; ``coef`` of shape (d,) or (d, K)."""
    mean, scale = scaler
    coef = coef / (scale if coef.ndim == 1 else scale[:, None])
    return coef, intercept - mean @ coef
