"""Gradient transformations: the building blocks of every optimizer.

An optimizer is a pair of pure functions, in the style of optax::

    state = opt.init(params)
    step, state = opt.update(grad, state, params)
    params = params + step

``init`` builds the optimizer's state (a small NamedTuple of arrays); ``update`` turns a gradient
into the step to add to θ. Nothing is hidden in objects: the state is passed in and returned.
Transforms compose with :func:`chain`, which feeds each one's output to the next; the named
optimizers in :mod:`descend.optim.rules` are such chains ending in
:func:`scale_by_learning_rate`.

θ may be a 1-D array of ``n`` parameters or a ``(k, n)`` array of ``k`` points optimised side by
side; every transform works row by row on the second form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from descend.base.checks import check_lr, check_positive
from descend.base.types import Array, LearningRate


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(grad, state, params) -> (step, state)``.

    The named optimizers also carry their ``name`` and ``hyperparams`` (lr, beta, ...), so
    that the compiled training kernels can recognise them; a hand-made chain has neither and
    always runs on the NumPy path.
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array], tuple[Array, Any]]
    name: str | None = None
    hyperparams: dict[str, Any] | None = None


class EmptyState(NamedTuple):
    """State of a transform that keeps none."""


class ChainState(NamedTuple):
    """The states of the transforms of a :func:`chain`, in order."""

    states: tuple[Any, ...]


class ScaleByScheduleState(NamedTuple):
    """The number of updates made so far (the t of the schedule, first update t = 0)."""

    count: int  # type: ignore[assignment]  # shadows tuple.count, as optax's field does


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transforms one after the other: the step of one is the gradient of the next.

    >>> opt = chain(clip(1.0), scale_by_learning_rate(0.1))
    >>> step, _ = opt.update(np.array([5.0, -0.5]), opt.init(np.zeros(2)), np.zeros(2))
    >>> step
    array([-0.1 ,  0.05])
    """

    def init(params: Array) -> ChainState:
        return ChainState(tuple(t.init(params) for t in transforms))

    def update(grad: Array, state: ChainState, params: Array) -> tuple[Array, ChainState]:
        new_states = []
        for transform, s in zip(transforms, state.states, strict=True):
            grad, s = transform.update(grad, s, params)
            new_states.append(s)
        return grad, ChainState(tuple(new_states))

    lrs = [t.hyperparams["lr"] for t in transforms if t.hyperparams and "lr" in t.hyperparams]
    # a chain around one rule keeps that rule's learning rate visible (for the history)
    return GradientTransformation(init, update, None, {"lr": lrs[0]} if len(lrs) == 1 else None)


def safe_norm(v: Array, *, rows: bool = False) -> Any:
    """Euclidean norm that does not overflow for huge but finite entries (‖(1e200, 1e200)‖).

    ``rows=True`` gives the norm of each row of a 2-D array, as a column (k, 1). The plain sum
    of squares overflows past about 1.3e154; only then is each vector first divided by its
    largest entry, so the usual case costs one pass.

    >>> float(safe_norm(np.array([1e200, 1e200]))) / 1e200
    1.4142135623730951
    >>> safe_norm(np.array([[3.0, 4.0], [0.0, 1e300]]), rows=True).ravel().tolist()
    [5.0, 1e+300]
    """
    if not rows and v.ndim == 1:  # the loop's case: one vector, a Python float back
        sq1 = float(np.einsum("i,i->", v, v))
        if math.isfinite(sq1):
            return math.sqrt(sq1)
    w = v if rows else v.reshape(1, -1)
    sq = np.einsum("ij,ij->i", w, w)
    if not np.isfinite(sq).all():
        with np.errstate(all="ignore"):
            big = np.max(np.abs(w), axis=1)
            scale = np.where((big > 0) & np.isfinite(big), big, 1.0)
            r = w / scale[:, None]
            norm = np.sqrt(np.einsum("ij,ij->i", r, r)) * scale
            norm = np.where(np.isfinite(big), norm, big)
    else:
        norm = np.sqrt(sq)
    return norm[:, None] if rows else float(norm[0])


def scale_by_learning_rate(lr: LearningRate) -> GradientTransformation:
    """Multiply by −α: the descent step. ``lr`` is a float or a schedule ``t -> α_t``.

    step = −α_t · u, with t = 0 on the first update.
    """
    check_lr(lr)

    def init(params: Array) -> ScaleByScheduleState:
        return ScaleByScheduleState(count=0)

    def update(
        grad: Array, state: ScaleByScheduleState, params: Array
    ) -> tuple[Array, ScaleByScheduleState]:
        alpha = lr(state.count) if callable(lr) else lr
        return -alpha * grad, ScaleByScheduleState(count=state.count + 1)

    return GradientTransformation(init, update, None, {"lr": lr})


def learning_rate_at(lr: LearningRate, t: int) -> float:
    """The learning rate α_t that ``lr`` gives at update t (first update t = 0)."""
    return float(lr(t) if callable(lr) else lr)


def clip(max_value: float) -> GradientTransformation:
    """Clip each gradient component to [−max_value, max_value] (the seeds' ``clip``).

    g ← min(max(g, −c), c)
    """
    check_positive("max_value", max_value)

    def init(params: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        return np.clip(grad, -max_value, max_value), state

    return GradientTransformation(init, update)


def clip_norm(max_norm: float) -> GradientTransformation:
    """Rescale the gradient so that its Euclidean norm is at most ``max_norm``.

    g ← g · min(1, c / ‖g‖), per point when θ holds several.

    >>> opt = clip_norm(1.0)
    >>> opt.update(np.array([3.0, 4.0]), opt.init(np.zeros(2)), np.zeros(2))[0]
    array([0.6, 0.8])
    """
    check_positive("max_norm", max_norm)

    def init(params: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        norm = safe_norm(grad, rows=grad.ndim == 2)
        factor = np.minimum(1.0, max_norm / np.maximum(norm, np.finfo(np.float64).tiny))
        return grad * factor, state

    return GradientTransformation(init, update)


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """Add λθ to the update (decoupled weight decay when placed after an adaptive rule)."""
    check_positive("weight_decay", weight_decay, allow_zero=True)

    def init(params: Array) -> EmptyState:
        return EmptyState()

    def update(grad: Array, state: EmptyState, params: Array) -> tuple[Array, EmptyState]:
        return grad + weight_decay * params, state

    return GradientTransformation(init, update)


def update_count(state: Any) -> int:
    """The update count t of the learning-rate schedule inside a (nested) chain state (0 when
    the optimizer has none): the t of the next update.

    >>> opt = chain(clip(1.0), scale_by_learning_rate(0.1))
    >>> state = opt.init(np.zeros(1))
    >>> update_count(opt.update(np.ones(1), state, np.zeros(1))[1])
    1
    """
    found = _find_count(state)
    return 0 if found is None else found


def _find_count(state: Any) -> int | None:
    if isinstance(state, ScaleByScheduleState):
        return state.count
    for s in getattr(state, "states", ()):
        t = _find_count(s)
        if t is not None:
            return t
    return None
