"""RMSprop (PyTorch's ``RMSprop(alpha=beta)``): θ ← θ − α·g / (√E[g²] + ε).

E[g²] ← βE[g²] + (1−β)g² from 0; ``centered`` subtracts the square of the running mean of g
inside the root; ``momentum`` μ > 0 accumulates b ← μb + g / (√E[g²] + ε) (b₀ = 0) and steps
along b. :func:`scale_by_rms` is the NumPy reference, :func:`rmsprop_coordinate` the same
arithmetic for one coordinate, compiled by :mod:`descend.kernels.update`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from descend.base.checks import check_positive, check_unit_interval
from descend.base.types import Array, LearningRate
from descend.optim.transform import GradientTransformation, chain, scale_by_learning_rate


class RMSpropState(NamedTuple):
    """Running average of g² (and of g when centered), and the momentum buffer."""

    square_avg: Array
    grad_avg: Array
    buffer: Array


def rmsprop_coordinate(
    g: float, square_avg: float, grad_avg: float, buffer: float,
    beta: float, eps: float, centered: bool, momentum: float,
) -> tuple[float, float, float, float]:  # fmt: skip
    """(direction, E[g²], E[g], b) after one update of one coordinate.

    >>> round(rmsprop_coordinate(3.0, 0.0, 0.0, 0.0, 0.99, 0.0, False, 0.0)[0], 12)  # 3/√(0.01·9)
    10.0
    """
    sq = beta * square_avg + (1.0 - beta) * g * g
    if centered:
        ga = grad_avg + (1.0 - beta) * (g - grad_avg)
        avg = math.sqrt(sq - ga * ga) + eps
    else:
        ga = grad_avg
        avg = math.sqrt(sq) + eps
    direction = g / avg
    if momentum > 0:
        direction = momentum * buffer + direction
        buffer = direction
    return direction, sq, ga, buffer


def scale_by_rms(
    beta: float = 0.99, eps: float = 1e-8, centered: bool = False, momentum: float = 0.0
) -> GradientTransformation:
    """RMSprop: E[g²] ← βE[g²] + (1−β)g², direction g / (√E[g²] + ε).

    ``centered`` subtracts the square of the running mean of g inside the root; ``momentum`` > 0
    accumulates b ← μb + g / (√E[g²] + ε) (b₀ = 0) and uses b, as PyTorch does.
    """
    check_unit_interval("beta", beta)
    check_unit_interval("momentum", momentum)
    check_positive("eps", eps, allow_zero=True)

    def init(params: Array) -> RMSpropState:
        zeros = np.zeros_like(params, dtype=np.float64)
        return RMSpropState(square_avg=zeros, grad_avg=zeros, buffer=zeros)

    def update(grad: Array, state: RMSpropState, params: Array) -> tuple[Array, RMSpropState]:
        square_avg = beta * state.square_avg + (1.0 - beta) * grad * grad
        grad_avg = state.grad_avg
        if centered:
            grad_avg = grad_avg + (1.0 - beta) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        direction = grad / avg
        buffer = state.buffer
        if momentum > 0:
            buffer = momentum * buffer + direction
            direction = buffer
        return direction, RMSpropState(square_avg, grad_avg, buffer)

    return GradientTransformation(init, update)


def rmsprop(
    lr: LearningRate = 0.01,
    beta: float = 0.99,
    eps: float = 1e-8,
    centered: bool = False,
    momentum: float = 0.0,
) -> GradientTransformation:
    """RMSprop (PyTorch's ``RMSprop(alpha=beta)``): θ ← θ − α·g / (√E[g²] + ε).

    E[g²] ← βE[g²] + (1−β)g², starting from 0.

    >>> opt = rmsprop(0.01, beta=0.99, eps=0.0)
    >>> x = np.array([1.0]); state = opt.init(x)
    >>> round(float(opt.update(np.array([3.0]), state, x)[0][0]), 12)  # −0.01·3/√(0.01·9)
    -0.1
    """
    opt = chain(scale_by_rms(beta, eps, centered, momentum), scale_by_learning_rate(lr))
    hyper = dict(lr=lr, beta=beta, eps=eps, centered=centered, momentum=momentum)
    return opt._replace(name="rmsprop", hyperparams=hyper)
