r"""Initial weights of a dense layer with n_in inputs and n_out outputs (biases start at 0).

=================  =======================================  ===============================
name               W_ij drawn from                          meant for
=================  =======================================  ===============================
normal             N(0, s²), s = ``scale``                  showing what the scale does
xavier (glorot)    N(0, 2 / (n_in + n_out))                 tanh, sigmoid (Glorot & Bengio
                                                            2010)
xavier_uniform     U(−r, r), r = √(6 / (n_in + n_out))      as scikit-learn's MLP draws
he (kaiming)       N(0, 2 / n_in)                           ReLU (He et al. 2015)
=================  =======================================  ===============================

Xavier keeps the variance of the activations and of the back-propagated gradients about
constant from layer to layer for an activation with φ′(0) = 1; He's factor 2 makes up for
ReLU zeroing half of its inputs. A ``normal`` scale far above those values makes the
gradients explode, far below makes them vanish.

>>> import numpy as np
>>> W = initialise("he", np.random.default_rng(0), 2000, 50)
>>> W.shape, round(float(W.std()), 2), round(float(np.sqrt(2 / 2000)), 2)
((2000, 50), 0.03, 0.03)
"""

from __future__ import annotations

import math

import numpy as np

from descend.base.checks import check_positive
from descend.base.errors import UnknownNameError
from descend.base.types import Array

#: The initialisations by name, aliases included.
INITS = ("normal", "xavier", "glorot", "xavier_uniform", "glorot_uniform", "he", "kaiming")


def check_init(init: str) -> str:
    """``init`` in its canonical spelling (``glorot`` → ``xavier``, ``kaiming`` → ``he``).

    >>> check_init("Glorot")
    'xavier'
    """
    key = init.strip().lower() if isinstance(init, str) else None
    if key not in INITS:
        raise UnknownNameError(f"unknown init {init!r}; choose one of: {', '.join(INITS)}")
    return {"glorot": "xavier", "glorot_uniform": "xavier_uniform", "kaiming": "he"}.get(key, key)


def initialise(
    init: str, rng: np.random.Generator, n_in: int, n_out: int, scale: float = 1.0
) -> Array:
    """A weight matrix of shape (n_in, n_out) drawn as ``init`` says (``scale``: s of
    ``"normal"``, and a factor on the others' standard deviation)."""
    check_positive("init_scale", scale)
    kind = check_init(init)
    if kind == "xavier_uniform":
        r = scale * math.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, size=(n_in, n_out))
    std = {"normal": 1.0, "xavier": math.sqrt(2.0 / (n_in + n_out)), "he": math.sqrt(2.0 / n_in)}
    return rng.normal(0.0, scale * std[kind], size=(n_in, n_out))
