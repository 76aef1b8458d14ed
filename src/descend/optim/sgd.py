"""Plain gradient descent, the update rule θ ← θ − α∇J(θ).

:func:`sgd` is the optax-style transform (the NumPy reference); :func:`sgd_coordinate` is the
same update for one coordinate in plain arithmetic, which :mod:`descend.kernels.update`
compiles (Numba) for the minimize loop and the fit kernels.
"""

from __future__ import annotations

from descend.base.types import LearningRate
from descend.optim.transform import GradientTransformation, scale_by_learning_rate


def sgd_coordinate(theta: float, d: float, lr: float) -> float:
    """θᵢ + (−α)·dᵢ: one coordinate of the step every rule ends with (d = g for plain SGD).

    >>> sgd_coordinate(10.0, 20.0, 0.1)
    8.0
    """
    return theta + (-lr) * d


def sgd(lr: LearningRate = 0.01) -> GradientTransformation:
    """Plain gradient descent, the update rule θ ← θ − α∇J(θ).

    >>> import numpy as np
    >>> opt = sgd(0.1)
    >>> x = np.array([10.0])
    >>> state = opt.init(x)
    >>> for _ in range(3):
    ...     step, state = opt.update(2 * x, state, x)  # f(x) = x², ∇f = 2x
    ...     x = x + step
    ...     print(round(float(x[0]), 10))
    8.0
    6.4
    5.12
    """
    return scale_by_learning_rate(lr)._replace(name="sgd", hyperparams={"lr": lr})
