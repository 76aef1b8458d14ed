"""``descend.fit``: one entry point for data in memory, in files and on a cluster.

Arrays go to :func:`descend.engine.fit.fit`, the in-memory loop. A *source*, any object with a
``__descend_fit__(model, y, **options)`` method (a file source of :mod:`descend.stream`, a
Dask source of :mod:`descend.dist`), trains itself through
:func:`descend.engine.chunked.fit_chunked`. With ``checkpoint=FOLDER`` arrays also go through
:func:`~descend.engine.chunked.fit_chunked`, whose epochs are those of the in-memory loop.
"""

from __future__ import annotations

from typing import Any

from descend.base.errors import DataError
from descend.engine.chunked import ArrayData, fit_chunked
from descend.engine.fit import FitResult
from descend.engine.fit import fit as fit_arrays
from descend.models.linear import LinearModel


def fit(
    model: LinearModel,
    X: Any,
    y: Any = None,
    *,
    checkpoint: Any = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    **options: Any,
) -> FitResult:
    """Fit ``model`` by batch, stochastic or mini-batch gradient descent, from any data.

    Parameters
    ----------
    model : LinearModel
        The model, its loss and its penalty (:func:`linear_regression`, ...).
    X : array-like of shape (m, d), or a source
        The features in memory, or a source: ``descend.stream.source("data/*.parquet",
        target="y")`` (files read chunk by chunk, larger than memory) or
        ``descend.dist.source(X, y)`` (Dask arrays or a DataFrame, on a cluster).
    y : array-like of shape (m,), optional
        The encoded targets (0/1 for the log loss, −1/+1 for the hinge, 0..K−1 for softmax);
        None for a source, which holds its own.
    checkpoint : str, path or Checkpointer, optional
        A folder for checkpoints (:mod:`descend.engine.checkpoint`): θ, the optimizer state,
        the random generator and the data cursor, the last 3 kept.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume : bool, default=False
        Continue from the latest checkpoint in ``checkpoint`` (a fresh start when it holds
        none); a checkpoint of other data or settings is refused with one line.
    **options
        The keyword arguments of :func:`descend.engine.fit.fit`: ``optimizer``, ``lr``,
        ``batch_size``, ``max_epochs``, ``tol``, ``shuffle``, ``seed``, ``kernel``, ...

    Returns
    -------
    FitResult
        Divergence is a status (θ the last finite one, a message with the fix), not an error.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.models.linear import linear_regression
    >>> X, y = np.array([[1.0], [2], [3], [4], [5]]), np.array([2.0, 4, 5, 4, 5])
    >>> r = fit(linear_regression(1), X, y, lr="auto", max_epochs=1000, tol=None)
    >>> r.status, r.theta.round(6)  # least squares: y = 0.6x + 2.2
    ('max_epochs', array([2.2, 0.6]))
    """
    train = getattr(X, "__descend_fit__", None)
    if train is not None:
        return train(model, y, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                     resume=resume, **options)  # fmt: skip
    if hasattr(X, "__dask_graph__"):
        raise DataError(
            "X is a Dask collection: wrap it as descend.dist.source(X, y) to train on its "
            "partitions where they are, or call .compute() to bring it into memory"
        )
    if checkpoint is not None or resume:
        return fit_chunked(model, ArrayData(model, X, y), checkpoint=checkpoint,
                           checkpoint_every=checkpoint_every, resume=resume, **options)  # fmt: skip
    return fit_arrays(model, X, y, **options)
