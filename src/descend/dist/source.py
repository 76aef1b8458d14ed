r"""Dask sources: training on the partitions of Dask arrays or a DataFrame, where they are.

:func:`source` wraps ``X`` and ``y`` (or a Dask DataFrame and its target column) for
:func:`descend.fit` and the estimators. The partitions are persisted on the cluster (the client
found by :func:`distributed.default_client`, or Dask's local scheduler when there is none), and
only θ and small partial results travel::

    from dask.distributed import Client
    client = Client("tcp://HOST:8786")
    r = descend.fit(descend.softmax_regression(d, K), descend.dist.source(X, y),
                    batch_size="full", lr="auto")

**Full batch** (``batch_size="full"``, and every evaluation of J and ∇J, the line search's
included): each partition k returns its partial sums (mₖ, mₖ·Jₖ⁰, mₖ·∇Jₖ⁰), Jₖ⁰ its mean loss
without the penalty; they are added in partition order, so the result does not depend on which
worker ran what, and

    J = (Σₖ mₖ·Jₖ⁰) / m + R(w),      ∇J = (Σₖ mₖ·∇Jₖ⁰) / m + ∇R(w),

the in-memory objective (to rounding). The optimizer steps on the client, once per epoch, so
Adam's moments and schedules behave exactly as in memory.

**Mini-batches: parameter averaging.** Each epoch, every partition k runs one epoch of
mini-batch updates over its own rows from the current θ and optimizer state (its batches
shuffled with a seed drawn for it from the fit's generator), and the new θ is the row-weighted
mean Σₖ (mₖ/m)·θₖ; the optimizer's array states (momentum, Adam's moments) are averaged the same
way and its update counts take the largest partition's count. With one partition this is the
in-memory fit; with P partitions it is "parameter mixing" (Mann et al. 2009; Zinkevich et al.
2010), which converges for convex losses.

If a worker dies in the middle of a fit, Dask recomputes its partitions from their graph and
reruns its tasks elsewhere; the partial sums are still added in partition order, so the fit
ends with the same θ.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from descend.base.errors import DataError, ShapeError
from descend.base.types import Array
from descend.engine.batches import BatchSize, epoch_order
from descend.engine.checkpoint import flatten_state, unflatten_state
from descend.engine.chunked import (
    ChunkHook,
    Sums,
    fit_chunked,
    full_batch_step,
    without_penalty,
)
from descend.engine.fit import EpochOutput, FitResult, choose_engine
from descend.models.linear import LinearModel, check_data
from descend.optim.rules import get_optimizer
from descend.optim.transform import GradientTransformation


def partial_sums(
    X: Any, y: Any, *, model: LinearModel, theta: Array, kernel: Any
) -> tuple[int, float, Array]:
    """(mₖ, mₖ·Jₖ⁰, mₖ·∇Jₖ⁰) of one partition: its loss sums without the penalty."""
    X, y = check_data(model, X, y)
    bare = without_penalty(model)
    f, g = choose_engine(kernel, bare, get_optimizer("sgd", 1.0), X)[1](theta, X, y)
    return len(X), len(X) * f, len(X) * g


def local_epoch(
    X: Any, y: Any, *, model: LinearModel, theta: Array, opt: GradientTransformation,
    state: Any, batch_size: int, seed: int, shuffle: bool, kernel: Any, running: bool = False,
) -> tuple[Array, Any, int, bool, float, float]:  # fmt: skip
    """One epoch of mini-batch updates over one partition's rows (run on a worker): θ, the
    state, the updates, whether θ stayed finite, and (``running``) the partition's running
    loss and its first batch's J_B (else NaN)."""
    X, y = check_data(model, X, y)
    order = epoch_order(len(X), batch_size, np.random.default_rng(seed), shuffle)
    runner = choose_engine(kernel, model, opt, X)[0]
    out = runner(model, X, y, theta, opt, state, order, running=running)
    return out.theta, out.state, out.n_steps, out.finite, out.loss, out.first_loss


class DaskSource:
    """Dask arrays ``X`` (rows in partitions) and ``y`` as training data (see the module)."""

    def __init__(self, X: Any, y: Any) -> None:
        import dask.array as da

        X, y = da.asarray(X), da.asarray(y)
        if X.ndim != 2 or y.ndim != 1:
            raise ShapeError(f"X must be 2-D and y 1-D, got shapes {X.shape} and {y.shape}")
        if any(np.isnan(c) for c in X.chunks[0]) or any(np.isnan(c) for c in y.chunks[0]):
            raise DataError(
                "the partitions' row counts are unknown; use to_dask_array(lengths=True) or "
                "X.compute_chunk_sizes()"
            )
        if X.shape[0] != y.shape[0]:
            raise ShapeError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        X = X.rechunk({1: -1})
        y = y.rechunk((X.chunks[0],))
        self.X, self.y = X.persist(), y.persist()
        self.n_features = int(X.shape[1])
        self._blocks = list(zip(self.X.to_delayed().ravel(), self.y.to_delayed(), strict=True))

    def prepared(
        self, encode: Any = None, standardize: tuple[Array, Array] | None = None
    ) -> DaskSource:
        """The same partitions with the targets mapped by ``encode`` (block by block) and the
        features standardised, x′ = (x − μ)/σ for ``standardize=(μ, σ)``."""
        X, y = self.X, self.y
        if standardize is not None:
            X = (X - standardize[0]) / standardize[1]
        if encode is not None:
            y = y.map_blocks(encode, dtype=np.float64)
        return DaskSource(X, y)

    @property
    def n_rows(self) -> int:
        """m, the rows over all partitions."""
        return int(self.X.shape[0])

    @property
    def n_partitions(self) -> int:
        """P, the number of partitions (of rows)."""
        return len(self._blocks)

    def __repr__(self) -> str:
        return f"DaskSource({self.n_rows} rows, {self.n_features} features, {self.n_partitions} partitions)"

    def describe(self) -> str:
        """Dask's deterministic token of the two collections (the checkpoint fingerprint)."""
        from dask.base import tokenize

        return f"dask {tokenize(self.X, self.y)}"

    def head(self) -> tuple[Array, Array]:
        """The first partition, in memory."""
        import dask

        X0, y0 = dask.compute(*self._blocks[0])
        return np.asarray(X0), np.asarray(y0)

    def value_and_grad(self, model: LinearModel, theta: Array, kernel: Any) -> tuple[float, Array]:
        """J and ∇J from the partitions' partial sums, added in partition order."""
        import dask

        self._check_model(model)
        part = partial(partial_sums, model=model, theta=theta, kernel=kernel)
        tasks = [dask.delayed(part)(xb, yb) for xb, yb in self._blocks]
        parts = dask.compute(*tasks)
        m = sum(p[0] for p in parts)
        f, g = 0.0, np.zeros(model.n_params)
        for _, fk, gk in parts:
            f += fk
            g += gk
        return f / m + model.penalty_value(theta), g / m + model.penalty_gradient(theta)

    def run_epoch(
        self, model: LinearModel, theta: Array, opt: GradientTransformation, state: Any,
        batch_size: BatchSize, rng: np.random.Generator, shuffle: bool, *, grad: Array,
        kernel: Any, record: bool, skip: int, carry: tuple[Any, Any] | None,
        on_chunk: ChunkHook | None, running: bool = False, sums: Sums | None = None,
    ) -> EpochOutput:  # fmt: skip
        """A full-batch step from ``grad``, or one epoch of parameter averaging. Its running
        loss (``running``) is the mean of every partition's J_B over all their batches, and
        its first loss the partitions' first J_B weighted by their rows (they all start
        from the same θ)."""
        import dask

        if batch_size == "full":
            return full_batch_step(theta, opt, state, grad)
        seeds = rng.integers(0, 2**63 - 1, size=self.n_partitions)
        # the small arguments go inside the function (a partial), which Dask does not traverse
        tasks = [
            dask.delayed(
                partial(
                    local_epoch,
                    model=model,
                    theta=theta,
                    opt=opt,
                    state=state,
                    batch_size=batch_size,
                    seed=int(s),
                    shuffle=shuffle,
                    kernel=kernel,
                    running=running,
                )
            )(xb, yb)  # fmt: skip
            for (xb, yb), s in zip(self._blocks, seeds, strict=True)
        ]
        results = dask.compute(*tasks)
        if not all(r[3] for r in results):
            return EpochOutput(theta, state, max(r[2] for r in results), False, [], [])
        sizes = np.array(self.X.chunks[0], dtype=np.float64)
        weights = sizes / sizes.sum()
        new_theta = sum(
            (w * r[0] for w, r in zip(weights, results, strict=True)), np.zeros_like(theta)
        )
        new_state = _average_states([r[1] for r in results], weights, opt.init(theta))
        n_steps = max(r[2] for r in results)
        finite = bool(np.isfinite(new_theta).all())
        if not (running and finite):
            return EpochOutput(new_theta, new_state, n_steps, finite, [], [])
        steps = np.array([r[2] for r in results], dtype=np.float64)
        loss = float(sum(s * r[4] for s, r in zip(steps, results, strict=True)) / steps.sum())
        first = float(sum(w * r[5] for w, r in zip(weights, results, strict=True)))
        return EpochOutput(new_theta, new_state, n_steps, finite, [], [], loss, first)

    def __descend_fit__(self, model: LinearModel, y: Any = None, **options: Any) -> FitResult:
        """:func:`descend.fit` on the partitions."""
        if y is not None:
            raise DataError("the Dask source holds its targets; pass y=None")
        self._check_model(model)
        return fit_chunked(model, self, **options)

    def _check_model(self, model: LinearModel) -> None:
        if model.n_features != self.n_features:
            raise ShapeError(
                f"X has {self.n_features} features but the model expects {model.n_features}"
            )


def _average_states(states: list[Any], weights: Array, template: Any) -> Any:
    """The weighted mean of the states' array leaves; counts take the largest."""
    columns = zip(*(flatten_state(s) for s in states), strict=True)
    leaves: list[Any] = []
    for column in columns:
        first = column[0]
        if isinstance(first, np.ndarray):
            leaves.append(
                sum((w * a for w, a in zip(weights, column, strict=True)), np.zeros_like(first))
            )
        elif isinstance(first, bool | np.bool_) or first is None:
            leaves.append(first)
        else:
            leaves.append(max(column))
    return unflatten_state(template, leaves)


def _series_array(y: Any) -> Any:
    """A Dask Series as a Dask array; text labels (pandas' string dtype) as objects."""
    if getattr(y.dtype, "kind", "O") not in "biuf":
        y = y.astype(object)
    return y.to_dask_array(lengths=True)


def source(X: Any, y: Any = None, *, target: str | None = None) -> DaskSource:
    """A Dask source for :func:`descend.fit` and the estimators.

    Parameters
    ----------
    X : dask array of shape (m, d), or a Dask DataFrame
        The features, partitioned by rows (any NumPy-like array is wrapped with
        ``dask.array.asarray``).
    y : dask array of shape (m,), optional
        The targets, already encoded for the loss (as for :func:`descend.fit`); with a DataFrame
        name the ``target`` column instead.
    target : str, optional
        The target column of a DataFrame ``X``; the other columns are the features.

    Examples
    --------
    >>> import dask.array as da
    >>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(3, 2))
    >>> src = source(X, X[:, 0] * 2.0)
    >>> src.n_rows, src.n_partitions
    (6, 2)
    """
    if target is not None and hasattr(X, "to_dask_array"):
        if target not in X.columns:
            raise DataError(f"target={target!r} must name a column of the DataFrame")
        features = [c for c in X.columns if c != target]
        y = _series_array(X[target])
        X = X[features].to_dask_array(lengths=True)
    elif hasattr(X, "to_dask_array"):  # a DataFrame of features, y a Series or an array
        X = X.to_dask_array(lengths=True)
        if hasattr(y, "to_dask_array"):
            y = _series_array(y)
    if y is None:
        raise DataError("give y (a Dask array of targets), or a DataFrame and target='column'")
    return DaskSource(X, y)
