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

import numpy as np

from descend.base.errors import HyperparameterError
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


class EmpiricalRisk:
    """What :class:`~descend.models.linear.LinearModel` and :class:`~descend.models.mlp.MLP`
    share: the empirical risk of a loss on the model's output scores z(θ, X),

        J(θ) = (1/m)·Σᵢ l(zᵢ, yᵢ) + R(θ),

    from a subclass's ``decision`` (z), ``penalty_value`` (R) and ``value_and_grad``.
    """

    loss: Loss | str
    n_outputs: int

    @property
    def loss_fn(self) -> Loss:
        """The loss as a :class:`Loss` object (``loss`` is converted on construction)."""
        assert isinstance(self.loss, Loss)
        return self.loss

    def _check_outputs(self) -> None:
        """K ≥ 2 outputs for a multiclass loss, K = 1 for every other loss."""
        multiclass = self.loss_fn.task == "multiclass"
        if multiclass and self.n_outputs < 2:
            raise HyperparameterError(
                f"the {self.loss_fn.name} loss needs n_outputs >= 2 classes, got {self.n_outputs}"
            )
        if not multiclass and self.n_outputs != 1:
            raise HyperparameterError(
                f"the {self.loss_fn.name} loss has one output; n_outputs={self.n_outputs} "
                "needs loss='softmax'"
            )

    def decision(self, theta: Array, X: Any) -> Array:
        """The output scores z, shape (m,) for K = 1, else (m, K)."""
        raise NotImplementedError

    def penalty_value(self, theta: Array) -> float:
        """R(θ), the penalty of the weights."""
        raise NotImplementedError

    def value_and_grad(
        self, theta: Array, X: Any, y: Any, *, value: bool = True
    ) -> tuple[float, Array]:
        """``(J(θ), ∇J(θ))`` (J is NaN with ``value=False``)."""
        raise NotImplementedError

    def loss_value(self, theta: Array, X: Any, y: Any) -> float:
        """J(θ) = mean loss over the rows given + R(θ)."""
        z = self.decision(theta, X)
        return float(np.mean(self.loss_fn.value(z, y))) + self.penalty_value(theta)

    def gradient(self, theta: Array, X: Any, y: Any) -> Array:
        """∇J(θ) over the rows given."""
        return self.value_and_grad(theta, X, y, value=False)[1]
