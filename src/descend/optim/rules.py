"""The update rules by name: SGD, momentum (heavy ball and Nesterov), AdaGrad, RMSprop, Adam,
AMSGrad, AdamW.

Each rule has its own module (:mod:`~descend.optim.sgd`, :mod:`~descend.optim.momentum`,
:mod:`~descend.optim.adagrad`, :mod:`~descend.optim.rmsprop`, :mod:`~descend.optim.adam`)
holding its optax-style transform (the NumPy reference) and the same update for one coordinate
in plain arithmetic, which :mod:`descend.kernels.update` compiles. This module names them:
:data:`OPTIMIZERS` (factories by name), :data:`RULE_CODES` (the integer codes of the compiled
loops) and :func:`hyper_vector` (a named rule's hyperparameters as the compiled loops take them).

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

import numpy as np

from descend.base.names import normalise, unknown_name
from descend.base.types import Array, LearningRate
from descend.optim.adagrad import AdagradState, adagrad, scale_by_adagrad
from descend.optim.adam import AdamState, adam, adamw, amsgrad, scale_by_adam
from descend.optim.momentum import MomentumState, momentum, nesterov, scale_by_momentum
from descend.optim.rmsprop import RMSpropState, rmsprop, scale_by_rms
from descend.optim.sgd import sgd
from descend.optim.transform import GradientTransformation

__all__ = [
    "OPTIMIZERS",
    "RULE_CODES",
    "AdagradState",
    "AdamState",
    "MomentumState",
    "RMSpropState",
    "adagrad",
    "adam",
    "adamw",
    "amsgrad",
    "get_optimizer",
    "hyper_vector",
    "momentum",
    "nesterov",
    "rmsprop",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_momentum",
    "scale_by_rms",
    "sgd",
]

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

#: The compiled loops' code of each rule, by the ``name`` its factory gives the transform
#: (Nesterov is momentum with a flag, AMSGrad is Adam with a flag).
RULE_CODES = {"sgd": 0, "momentum": 1, "adagrad": 2, "rmsprop": 3, "adam": 4, "adamw": 5}


def hyper_vector(opt: GradientTransformation) -> Array:
    """A named rule's hyperparameters packed for the compiled loops.

    [β or β₁, β₂, ε, λ (AdamW's weight decay), flag (Nesterov, centered or AMSGrad),
    RMSprop's momentum μ]; unused entries are 0.

    >>> hyper_vector(momentum(0.1, beta=0.5, nesterov=True))
    array([0.5, 0. , 0. , 0. , 1. , 0. ])
    """
    h = opt.hyperparams or {}
    name = opt.name
    out = np.zeros(6)
    if name == "momentum":
        out[0], out[4] = h["beta"], float(h["nesterov"])
    elif name == "adagrad":
        out[2] = h["eps"]
    elif name == "rmsprop":
        out[0], out[2], out[4], out[5] = h["beta"], h["eps"], float(h["centered"]), h["momentum"]
    elif name in ("adam", "adamw"):
        out[0], out[1], out[2], out[4] = h["beta1"], h["beta2"], h["eps"], float(h["amsgrad"])
        out[3] = h.get("weight_decay", 0.0)
    return out


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
