r"""Activations of a dense layer, a = φ(z), each with its derivative φ′ beside it.

==========  ===========================  ==============================  ==============
name        φ(z)                         φ′(z), written with a = φ(z)    range of φ′
==========  ===========================  ==============================  ==============
identity    z                            1                               {1}
sigmoid     σ(z) = 1 / (1 + e⁻ᶻ)         a·(1 − a)                       (0, ¼]
tanh        tanh z                       1 − a²                          (0, 1]
relu        max(0, z)                    1 if z > 0 else 0               {0, 1}
==========  ===========================  ==============================  ==============

Backpropagation multiplies the incoming gradient by φ′ once per layer, so the last column is
the story of vanishing gradients: through n sigmoid layers the factor is at most ¼ⁿ (times
the weights), while ReLU passes the gradient on unchanged wherever the unit is active.
ReLU's derivative at z = 0 is taken as 0 (PyTorch's convention).

>>> import numpy as np
>>> z = np.array([-1.0, 0.0, 2.0])
>>> a = ACTIVATIONS["relu"].value(z)
>>> a, ACTIVATIONS["relu"].derivative(z, a) * 1.0
(array([0., 0., 2.]), array([0., 0., 1.]))
>>> float(ACTIVATIONS["sigmoid"].derivative(z, ACTIVATIONS["sigmoid"].value(z))[1])
0.25
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from descend.base.errors import UnknownNameError
from descend.base.types import Array


@dataclass(frozen=True)
class Activation:
    """An element-wise activation: ``value(z)`` is φ(z), ``derivative(z, a)`` is φ′(z).

    ``derivative`` receives a = φ(z) as well, since σ′ and tanh′ are cheapest written in a.
    """

    name: str
    value: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Any]


def _identity(z: Array) -> Array:
    return z


def _one(z: Array, a: Array) -> Array:
    return np.ones_like(z)


def _sigmoid_prime(z: Array, a: Array) -> Array:
    return a * (1.0 - a)


def _tanh_prime(z: Array, a: Array) -> Array:
    return 1.0 - a * a


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_prime(z: Array, a: Array) -> Any:
    return z > 0.0  # a boolean mask: multiplying by it is one pass over δ, no float copy


identity = Activation("identity", _identity, _one)
sigmoid = Activation("sigmoid", expit, _sigmoid_prime)
tanh = Activation("tanh", np.tanh, _tanh_prime)
relu = Activation("relu", _relu, _relu_prime)

#: The built-in activations by name (``"logistic"`` is scikit-learn's name for the sigmoid).
ACTIVATIONS: dict[str, Activation] = {
    "identity": identity,
    "linear": identity,
    "sigmoid": sigmoid,
    "logistic": sigmoid,
    "tanh": tanh,
    "relu": relu,
}


def get_activation(activation: str | Activation) -> Activation:
    """An activation from its name (case-insensitive), or an :class:`Activation` as is.

    >>> get_activation("ReLU").name
    'relu'
    >>> get_activation("swish")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    descend.base.errors.UnknownNameError: unknown activation 'swish'; choose one of: identity, ...
    """
    if isinstance(activation, Activation):
        return activation
    key = activation.strip().lower() if isinstance(activation, str) else None
    if key not in ACTIVATIONS:
        raise UnknownNameError(
            f"unknown activation {activation!r}; choose one of: {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[key]
