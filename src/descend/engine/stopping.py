"""The stopping rules, one home for every loop: :func:`descend.minimize`'s NumPy loop, its
compiled twin (:mod:`descend.engine.compiled`, which compiles these very functions with Numba)
and :func:`descend.fit`'s epochs.

With J₀ the value at the start and B = EXPLODE_FACTOR · (1 + |J₀|):

* **converged**: ‖∇J‖ < tol (minimize), or J (or the validation loss) has not improved by more
  than tol for ``n_iter_no_change`` epochs in a row (fit);
* **stalled**: J has not improved for ``patience`` updates (minimize);
* **diverged**: J, θ or ∇J is not finite, or J > J₀ + B (it exploded); or J < J₀ − B, when J
  falls without bound (x² maximized, −x² minimized): no minimum lies ahead, and saying
  ``max_iter`` after θ ran off to 1e43 would hide it.

Every function takes and returns plain numbers, so that Numba compiles them unchanged.

>>> divergence(5.0, 1.0, True), divergence(float("nan"), 1.0, False), divergence(-3e12, 1.0, True)
(0, 1, 2)
"""

from __future__ import annotations

#: |J − J₀| beyond EXPLODE_FACTOR · (1 + |J₀|) = 10¹² · (1 + |J₀|) counts as divergence.
EXPLODE_FACTOR = 1e12

#: What :func:`divergence` returns.
FINE, EXPLODED, UNBOUNDED = 0, 1, 2


def divergence(f_new: float, f_start: float, finite: bool) -> int:
    """FINE; EXPLODED when not ``finite`` (J, θ or ∇J) or J > J₀ + B; UNBOUNDED when J < J₀ − B."""
    bound = EXPLODE_FACTOR * (1.0 + abs(f_start))
    if not finite or f_new > f_start + bound:  # NaN compares False: ``finite`` covers it
        return EXPLODED
    if f_new < f_start - bound:
        return UNBOUNDED
    return FINE


def patience_count(f: float, best: float, since: int) -> tuple[float, int]:
    """(best J so far, updates since it improved) after an update to J = ``f``."""
    if f < best:
        return f, 0
    return best, since + 1


def tol_count(score: float, best: float, stale: int, tol: float) -> tuple[float, int]:
    """(best score, epochs in a row without an improvement of more than ``tol``)."""
    stale = stale + 1 if score > best - tol else 0
    return min(best, score), stale
