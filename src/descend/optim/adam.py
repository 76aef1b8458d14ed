"""Adam, AMSGrad and AdamW (PyTorch's ``Adam``/``AdamW``): θ ← θ − α·m̂ / (√v̂ + ε).

m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), t counting updates
from 1; AMSGrad puts the running maximum of the raw v in v̂; AdamW adds the decoupled decay λθ
to the direction (not divided by √v̂). :func:`scale_by_adam` is the NumPy reference,
:func:`adam_coordinate` the same arithmetic for one coordinate, compiled by
:mod:`descend.kernels.update`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from descend.base.checks import check_positive, check_unit_interval
from descend.base.types import Array, LearningRate
from descend.optim.transform import (
    GradientTransformation,
    add_decayed_weights,
    chain,
    scale_by_learning_rate,
)


class AdamState(NamedTuple):
    """First moment m, second moment v, the running max of v (AMSGrad), and t."""

    m: Array
    v: Array
    v_max: Array
    t: int


def adam_coordinate(
    g: float, m: float, v: float, v_max: float, theta: float, beta1: float, beta2: float,
    eps: float, amsgrad: bool, weight_decay: float, bias_correction1: float,
    bias_correction2_sqrt: float,
) -> tuple[float, float, float, float]:  # fmt: skip
    """(direction, m, v, v_max) after one update of one coordinate; the bias corrections
    1 − β₁ᵗ and √(1 − β₂ᵗ) are computed once per update by the caller. ``weight_decay`` λ
    adds λθ (AdamW; 0 for Adam).

    >>> d = adam_coordinate(50.0, 0.0, 0.0, 0.0, 1.0, 0.9, 0.999, 0.0, False, 0.0, 0.1, 0.001**0.5)
    >>> round(d[0], 12)  # the first step is ±1 (times α) in every coordinate when ε = 0
    1.0
    """
    m = m + (1.0 - beta1) * (g - m)
    v = beta2 * v + (1.0 - beta2) * g * g
    if amsgrad:
        v_max = max(v_max, v)
        denom = math.sqrt(v_max) / bias_correction2_sqrt + eps
    else:
        denom = math.sqrt(v) / bias_correction2_sqrt + eps
    direction = (m / bias_correction1) / denom
    if weight_decay != 0.0:
        direction = direction + weight_decay * theta
    return direction, m, v, v_max


def scale_by_adam(
    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², direction m̂ / (√v̂ + ε).

    m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ); AMSGrad replaces v by max(v_max, v) in v̂.
    """
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_positive("eps", eps, allow_zero=True)

    def init(params: Array) -> AdamState:
        zeros = np.zeros_like(params, dtype=np.float64)
        return AdamState(m=zeros, v=zeros, v_max=zeros, t=0)

    def update(grad: Array, state: AdamState, params: Array) -> tuple[Array, AdamState]:
        t = state.t + 1
        m = state.m + (1.0 - beta1) * (grad - state.m)
        v = beta2 * state.v + (1.0 - beta2) * grad * grad
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        bias_correction1 = 1.0 - beta1**t
        bias_correction2_sqrt = (1.0 - beta2**t) ** 0.5
        denom = np.sqrt(v_max if amsgrad else v) / bias_correction2_sqrt + eps
        return (m / bias_correction1) / denom, AdamState(m, v, v_max, t)

    return GradientTransformation(init, update)


def adam(
    lr: LearningRate = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    amsgrad: bool = False,
) -> GradientTransformation:
    """Adam (PyTorch's ``Adam``): θ ← θ − α·m̂ / (√v̂ + ε).

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
    The first step has size α in every coordinate (m̂/√v̂ = ±1 when ε = 0):

    >>> opt = adam(0.1, eps=0.0)
    >>> x = np.array([1.0, 1.0]); state = opt.init(x)
    >>> opt.update(np.array([50.0, -0.01]), state, x)[0]
    array([-0.1,  0.1])
    """
    opt = chain(scale_by_adam(beta1, beta2, eps, amsgrad), scale_by_learning_rate(lr))
    hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)
    return opt._replace(name="adam", hyperparams=hyper)


def amsgrad(
    lr: LearningRate = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
) -> GradientTransformation:
    """AMSGrad: ``adam(..., amsgrad=True)``, v̂ uses the running maximum of v."""
    return adam(lr, beta1, beta2, eps, amsgrad=True)


def adamw(
    lr: LearningRate = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    amsgrad: bool = False,
) -> GradientTransformation:
    """AdamW (PyTorch's ``AdamW``): Adam with decoupled weight decay.

    θ ← θ − α(m̂ / (√v̂ + ε) + λθ): the decay λθ is not divided by √v̂.

    >>> opt = adamw(0.1, weight_decay=0.5, eps=0.0)
    >>> x = np.array([2.0]); state = opt.init(x)
    >>> round(float(opt.update(np.array([1.0]), state, x)[0][0]), 12)  # −0.1·(1 + 0.5·2)
    -0.2
    """
    opt = chain(
        scale_by_adam(beta1, beta2, eps, amsgrad),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(lr),
    )
    hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)
    return opt._replace(name="adamw", hyperparams={"weight_decay": weight_decay, **hyper})
