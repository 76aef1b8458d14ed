"""Gradient descent with momentum: heavy ball and Nesterov (PyTorch's ``SGD(momentum=β)``).

b ← βb + g (b = g on the first update), direction b, or g + βb for Nesterov; θ ← θ − α·direction.
:func:`scale_by_momentum` is the NumPy reference, :func:`momentum_coordinate` the same
arithmetic for one coordinate, compiled by :mod:`descend.kernels.update`.
"""

from __future__ import annotations

from typing import NamedTuple

from descend.base.checks import check_unit_interval
from descend.base.types import Array, LearningRate
from descend.optim.transform import GradientTransformation, chain, scale_by_learning_rate


class MomentumState(NamedTuple):
    """Velocity buffer b (None before the first update, when b becomes g)."""

    buffer: Array | None


def momentum_coordinate(
    g: float, b: float, has_buf: bool, beta: float, nesterov: bool
) -> tuple[float, float]:
    """(direction, new b) for one coordinate: b ← βb + g (g when there is no buffer yet).

    >>> momentum_coordinate(1.0, 1.0, True, 0.9, False)
    (1.9, 1.9)
    """
    b = beta * b + g if has_buf else g
    direction = g + beta * b if nesterov else b
    return direction, b


def scale_by_momentum(beta: float = 0.9, nesterov: bool = False) -> GradientTransformation:
    """Heavy-ball momentum: b ← βb + g (b₁ = g₁); the direction is b, or g + βb for Nesterov."""
    check_unit_interval("beta", beta)

    def init(params: Array) -> MomentumState:
        return MomentumState(buffer=None)

    def update(grad: Array, state: MomentumState, params: Array) -> tuple[Array, MomentumState]:
        b = grad.copy() if state.buffer is None else beta * state.buffer + grad
        direction = grad + beta * b if nesterov else b
        return direction, MomentumState(buffer=b)

    return GradientTransformation(init, update)


def momentum(
    lr: LearningRate = 0.01, beta: float = 0.9, nesterov: bool = False
) -> GradientTransformation:
    """Gradient descent with momentum (PyTorch's ``SGD(momentum=beta, nesterov=...)``).

    b ← βb + g (b = g on the first step), θ ← θ − α·b; Nesterov uses θ ← θ − α(g + βb).

    This is the seeds' "v = βv + ∇J; θ = θ − αv". Their other form, "v = βv − α∇J;
    θ = θ + v", gives the very same trajectory while α is constant (v = −αb); with a
    schedule they differ, because that form keeps old steps at their old learning rate.

    >>> import numpy as np
    >>> opt = momentum(0.1, beta=0.9)
    >>> x = np.array([1.0]); state = opt.init(x)
    >>> step, state = opt.update(np.array([1.0]), state, x); float(step[0])
    -0.1
    >>> step, state = opt.update(np.array([1.0]), state, x); round(float(step[0]), 12)
    -0.19
    """
    opt = chain(scale_by_momentum(beta, nesterov), scale_by_learning_rate(lr))
    return opt._replace(name="momentum", hyperparams=dict(lr=lr, beta=beta, nesterov=nesterov))


def nesterov(lr: LearningRate = 0.01, beta: float = 0.9) -> GradientTransformation:
    """Nesterov momentum: ``momentum(lr, beta, nesterov=True)``, θ ← θ − α(g + βb)."""
    return momentum(lr, beta, nesterov=True)
