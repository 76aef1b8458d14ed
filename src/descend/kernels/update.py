"""The one compiled ``update`` of every named rule: it serves the minimize loop
(:mod:`descend.engine.compiled`) and the fit kernels (:mod:`descend.kernels.passes`).

The per-coordinate formulas are those of the rules' own modules (:func:`~descend.optim.sgd.
sgd_coordinate`, :func:`~descend.optim.momentum.momentum_coordinate`, ...), next to their NumPy
references; here they are compiled with ``numba.njit(inline="always")`` (so ``descend.optim``
never imports Numba) and dispatched on the rule's code (:data:`descend.optim.rules.RULE_CODES`).
"""

from __future__ import annotations

import math

from numba import njit

from descend.optim.adagrad import adagrad_coordinate
from descend.optim.adam import adam_coordinate
from descend.optim.momentum import momentum_coordinate
from descend.optim.rmsprop import rmsprop_coordinate
from descend.optim.rules import RULE_CODES
from descend.optim.sgd import sgd_coordinate

SGD, MOMENTUM, ADAGRAD = RULE_CODES["sgd"], RULE_CODES["momentum"], RULE_CODES["adagrad"]
RMSPROP, ADAM, ADAMW = RULE_CODES["rmsprop"], RULE_CODES["adam"], RULE_CODES["adamw"]

_inline = njit(cache=True, error_model="numpy", nogil=True, inline="always")  # into Numba's IR
_step = _inline(sgd_coordinate)
_momentum = _inline(momentum_coordinate)
_adagrad = _inline(adagrad_coordinate)
_rmsprop = _inline(rmsprop_coordinate)
_adam = _inline(adam_coordinate)


@_inline
def update(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3):
    """One update of the rule: tn = θ − α·direction(g), the new state in n1..n3.

    s1..s3 hold: momentum (buffer), AdaGrad (ΣG²), RMSprop (E[g²], E[g], buffer), Adam (m, v,
    v_max); ``t`` is Adam's count before this update, ``has_buf`` whether momentum has a buffer
    yet; ``hp`` is :func:`descend.optim.rules.hyper_vector`. Returns True when every entry of
    tn is finite. n may be s (coordinate i only reads s[i] before writing n[i]); when they are
    not, θ and s are left untouched, so the caller either commits or keeps the state before the
    update, as the reference does when an update makes θ non-finite.
    """
    n = theta.size
    beta, beta2, eps, wd, flag, mom = hp[0], hp[1], hp[2], hp[3], hp[4] > 0, hp[5]
    ok = True
    if rule == SGD:
        for i in range(n):
            v = _step(theta[i], g[i], lr)
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == MOMENTUM:
        for i in range(n):
            d, b = _momentum(g[i], s1[i], has_buf, beta, flag)
            n1[i] = b
            v = _step(theta[i], d, lr)
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == ADAGRAD:
        for i in range(n):
            d, acc = _adagrad(g[i], s1[i], eps)
            n1[i] = acc
            v = _step(theta[i], d, lr)
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == RMSPROP:
        for i in range(n):
            d, sq, ga, b = _rmsprop(g[i], s1[i], s2[i], s3[i], beta, eps, flag, mom)
            n1[i] = sq
            n2[i] = ga
            n3[i] = b
            v = _step(theta[i], d, lr)
            tn[i] = v
            ok &= math.isfinite(v)
    else:  # ADAM, ADAMW
        k = float(t + 1)
        bc1 = 1.0 - beta**k
        bc2 = (1.0 - beta2**k) ** 0.5
        decay = wd if rule == ADAMW else 0.0
        for i in range(n):
            d, m, sv, vm = _adam(g[i], s1[i], s2[i], s3[i], theta[i], beta, beta2, eps, flag,
                                 decay, bc1, bc2)  # fmt: skip
            n1[i] = m
            n2[i] = sv
            n3[i] = vm
            v = _step(theta[i], d, lr)
            tn[i] = v
            ok &= math.isfinite(v)
    return ok


@njit(cache=True, error_model="numpy", nogil=True)
def step(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3):
    """:func:`update` compiled on its own: the full batch's one update, called from Python."""
    return update(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3)


@_inline
def commit(theta, tn, s1, s2, s3, n1, n2, n3, used):
    """θ, s ← tn, n after a finite update (``used`` state arrays: 0, 1 or 3): copies, cheaper
    than swapping reference-counted arrays."""
    for i in range(theta.size):
        theta[i] = tn[i]
    if used >= 1:
        for i in range(theta.size):
            s1[i] = n1[i]
    if used == 3:
        for i in range(theta.size):
            s2[i] = n2[i]
            s3[i] = n3[i]


def used_arrays(rule: int) -> int:
    """How many of s1..s3 the rule keeps: 0 (SGD), 1 (momentum, AdaGrad) or 3."""
    return 0 if rule == SGD else (1 if rule in (MOMENTUM, ADAGRAD) else 3)
