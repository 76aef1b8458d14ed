"""AdaGrad (PyTorch's ``Adagrad``): G ← G + g², θ ← θ − α·g / (√G + ε), G starting at 0.

:func:`scale_by_adagrad` is the NumPy reference, :func:`adagrad_coordinate` the same arithmetic
for one coordinate, compiled by :mod:`descend.kernels.update`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from descend.base.checks import check_positive
from descend.base.types import Array, LearningRate
from descend.optim.transform import GradientTransformation, chain, scale_by_learning_rate


class AdagradState(NamedTuple):
    """Sum of squared gradients G."""

    sum_sq: Array


def adagrad_coordinate(g: float, sum_sq: float, eps: float) -> tuple[float, float]:
    """(direction, new G) for one coordinate: G ← G + g², direction g / (√G + ε).

    >>> adagrad_coordinate(2.0, 0.0, 0.0)
    (1.0, 4.0)
    """
    acc = sum_sq + g * g
    return g / (math.sqrt(acc) + eps), acc


def scale_by_adagrad(eps: float = 1e-10) -> GradientTransformation:
    """AdaGrad: G ← G + g², direction g / (√G + ε)."""
    check_positive("eps", eps, allow_zero=True)

    def init(params: Array) -> AdagradState:
        return AdagradState(sum_sq=np.zeros_like(params, dtype=np.float64))

    def update(grad: Array, state: AdagradState, params: Array) -> tuple[Array, AdagradState]:
        sum_sq = state.sum_sq + grad * grad
        return grad / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq=sum_sq)

    return GradientTransformation(init, update)


def adagrad(lr: LearningRate = 0.01, eps: float = 1e-10) -> GradientTransformation:
    """AdaGrad (PyTorch's ``Adagrad``): G ← G + g², θ ← θ − α·g / (√G + ε).

    >>> opt = adagrad(0.5)
    >>> x = np.array([1.0, 1.0]); state = opt.init(x)
    >>> opt.update(np.array([2.0, -0.1]), state, x)[0]
    array([-0.5,  0.5])
    """
    opt = chain(scale_by_adagrad(eps), scale_by_learning_rate(lr))
    return opt._replace(name="adagrad", hyperparams=dict(lr=lr, eps=eps))
