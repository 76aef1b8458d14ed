"""The update rules: SGD, momentum (heavy ball and Nesterov), AdaGrad, RMSprop, Adam, AdamW.

Each factory returns a :class:`~descend.GradientTransformation` built with :func:`chain` from a
``scale_by_*`` transform (the rule's direction) and :func:`scale_by_learning_rate` (−α). For the
same hyperparameters the trajectories are those of PyTorch's ``torch.optim`` (tested to 1e-12
in float64): ε sits outside the square root in RMSprop and AdaGrad, AdaGrad's accumulator
starts at 0, AMSGrad keeps the maximum of the raw second moment, and the momentum buffer starts
at the first gradient.

The names follow the seeds' notation: ``lr`` (α), ``beta`` (momentum or RMSprop decay),
``beta1``, ``beta2``, ``eps``, ``weight_decay``; g is the gradient at the current θ, t counts
updates from 1 inside the bias corrections.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from descend.base.checks import check_positive, check_unit_interval
from descend.base.names import normalise, unknown_name
from descend.base.types import Array, LearningRate
from descend.optim.transform import (
    GradientTransformation,
    add_decayed_weights,
    chain,
    scale_by_learning_rate,
)


class MomentumState(NamedTuple):
    """Velocity buffer b (None before the first update, when b becomes g)."""

    buffer: Array | None


class AdagradState(NamedTuple):
    """Sum of squared gradients G."""

    sum_sq: Array


class RMSpropState(NamedTuple):
    """Running average of g² (and of g when centered), and the momentum buffer."""

    square_avg: Array
    grad_avg: Array
    buffer: Array


class AdamState(NamedTuple):
    """First moment m, second moment v, the running max of v (AMSGrad), and t."""

    m: Array
    v: Array
    v_max: Array
    t: int


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


def scale_by_adagrad(eps: float = 1e-10) -> GradientTransformation:
    """AdaGrad: G ← G + g², direction g / (√G + ε)."""
    check_positive("eps", eps, allow_zero=True)

    def init(params: Array) -> AdagradState:
        return AdagradState(sum_sq=np.zeros_like(params, dtype=np.float64))

    def update(grad: Array, state: AdagradState, params: Array) -> tuple[Array, AdagradState]:
        sum_sq = state.sum_sq + grad * grad
        return grad / (np.sqrt(sum_sq) + eps), AdagradState(sum_sq=sum_sq)

    return GradientTransformation(init, update)


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


def _named(name: str, opt: GradientTransformation, **hyperparams: Any) -> GradientTransformation:
    return opt._replace(name=name, hyperparams=hyperparams)


def sgd(lr: LearningRate = 0.01) -> GradientTransformation:
    """Plain gradient descent, the seeds' rule θ ← θ − α∇J(θ).

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
    return _named("sgd", scale_by_learning_rate(lr), lr=lr)


def momentum(
    lr: LearningRate = 0.01, beta: float = 0.9, nesterov: bool = False
) -> GradientTransformation:
    """Gradient descent with momentum (PyTorch's ``SGD(momentum=beta, nesterov=...)``).

    b ← βb + g (b = g on the first step), θ ← θ − α·b; Nesterov uses θ ← θ − α(g + βb).

    This is the seeds' "v = βv + ∇J; θ = θ − αv". Their other form, "v = βv − α∇J;
    θ = θ + v", gives the very same trajectory while α is constant (v = −αb); with a
    schedule they differ, because that form keeps old steps at their old learning rate.

    >>> opt = momentum(0.1, beta=0.9)
    >>> x = np.array([1.0]); state = opt.init(x)
    >>> step, state = opt.update(np.array([1.0]), state, x); float(step[0])
    -0.1
    >>> step, state = opt.update(np.array([1.0]), state, x); round(float(step[0]), 12)
    -0.19
    """
    opt = chain(scale_by_momentum(beta, nesterov), scale_by_learning_rate(lr))
    return _named("momentum", opt, lr=lr, beta=beta, nesterov=nesterov)


def adagrad(lr: LearningRate = 0.01, eps: float = 1e-10) -> GradientTransformation:
    """AdaGrad (PyTorch's ``Adagrad``): G ← G + g², θ ← θ − α·g / (√G + ε).

    >>> opt = adagrad(0.5)
    >>> x = np.array([1.0, 1.0]); state = opt.init(x)
    >>> opt.update(np.array([2.0, -0.1]), state, x)[0]
    array([-0.5,  0.5])
    """
    return _named(
        "adagrad", chain(scale_by_adagrad(eps), scale_by_learning_rate(lr)), lr=lr, eps=eps
    )


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
    return _named("rmsprop", opt, lr=lr, beta=beta, eps=eps, centered=centered, momentum=momentum)


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
    return _named("adam", opt, lr=lr, beta1=beta1, beta2=beta2, eps=eps, amsgrad=amsgrad)


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
    return _named("adamw", opt, weight_decay=weight_decay, **hyper)


def nesterov(lr: LearningRate = 0.01, beta: float = 0.9) -> GradientTransformation:
    """Nesterov momentum: ``momentum(lr, beta, nesterov=True)``, θ ← θ − α(g + βb)."""
    return momentum(lr, beta, nesterov=True)


def amsgrad(
    lr: LearningRate = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
) -> GradientTransformation:
    """AMSGrad: ``adam(..., amsgrad=True)``, v̂ uses the running maximum of v."""
    return adam(lr, beta1, beta2, eps, amsgrad=True)


#: Factories by name, for the CLI, the estimators and ``minimize(optimizer="adam")``.
OPTIMIZERS = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "amsgrad": amsgrad,
    "adamw": adamw,
}


def get_optimizer(
    optimizer: str | GradientTransformation, lr: LearningRate | None = None
) -> GradientTransformation:
    """An optimizer from a name (``"adam"``) and an optional ``lr``, or one passed as is.

    >>> opt = get_optimizer("sgd", 0.1)
    >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-0.1])
    """
    if isinstance(optimizer, GradientTransformation):
        if lr is not None:
            from descend.base.errors import HyperparameterError

            raise HyperparameterError(
                "lr was given together with a built optimizer; set the learning rate inside it "
                "(e.g. adam(lr=0.1)) or pass the optimizer by name"
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name or a GradientTransformation, not {type(optimizer).__name__}"
        )
    key = normalise(optimizer)
    if key not in OPTIMIZERS:
        raise unknown_name(optimizer, OPTIMIZERS, "optimizer")
    factory = OPTIMIZERS[key]
    return factory() if lr is None else factory(lr)
