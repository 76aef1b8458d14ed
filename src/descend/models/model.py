"""What :func:`descend.fit` asks of a model: the :class:`Model` protocol.

A model is a function of a flat parameter vector θ and a batch of rows (X, y): its objective
J(θ) is the mean per-sample loss over the rows given (plus a penalty), and its gradient ∇J(θ)
has θ's shape, so every optimizer, schedule and clipping rule applies unchanged. Both
:class:`~descend.models.linear.LinearModel` and :class:`~descend.models.mlp.MLP` follow it.

A model with layers may also define ``layer_grad_norms(grad) -> array``, the norm of each
layer's share of ∇J; :func:`descend.fit` then records it every epoch
(``FitHistory.layer_grad_norms``).
"""

from __future__ import annotations

from typing import Any, Protocol

from descend.base.types import Array
from descend.models.losses import Loss


class Model(Protocol):
    """A differentiable model on a flat θ: what the training loop calls."""

    @property
    def n_features(self) -> int:
        """d, the number of columns of X."""
        ...

    @property
    def n_outputs(self) -> int:
        """K: 1 for regression and binary classification, the number of classes otherwise."""
        ...

    @property
    def loss_fn(self) -> Loss:
        """The per-sample loss (its ``task`` says how targets are encoded)."""
        ...

    @property
    def n_params(self) -> int:
        """The length of θ."""
        ...

    def init_params(self) -> Array:
        """θ₀, where training starts when no ``theta0`` is given."""
        ...

    def loss_value(self, theta: Array, X: Any, y: Any) -> float:
        """J(θ) over the rows given."""
        ...

    def gradient(self, theta: Array, X: Any, y: Any) -> Array:
        """∇J(θ) over the rows given."""
        ...

    def value_and_grad(
        self, theta: Array, X: Any, y: Any, *, value: bool = True
    ) -> tuple[float, Array]:
        """``(J(θ), ∇J(θ))`` (J is NaN with ``value=False``)."""
        ...
