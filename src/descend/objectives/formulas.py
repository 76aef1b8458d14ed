"""The formulas of the built-in test functions: each value and its analytic gradient, side by
side, vectorised over a ``(..., n)`` array of points. :mod:`descend.objectives.functions`
gives them their domains, starts and known minima.
"""

from __future__ import annotations

import math

import numpy as np

from descend.base.types import Array

_TWO_PI = 2.0 * math.pi


def _xy(p: Array) -> tuple[Array, Array]:
    return p[..., 0], p[..., 1]


def _stack(*partials: Array) -> Array:
    return np.stack(partials, axis=-1)


# ---------------------------------------------------------------- n-dimensional functions


def _sphere(p: Array) -> Array:
    """Σ xᵢ²."""
    return np.sum(p**2, axis=-1)


def _sphere_grad(p: Array) -> Array:
    return 2.0 * p


def _rosenbrock(p: Array) -> Array:
    """Σᵢ₌₁ⁿ⁻¹ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²."""
    a, b = p[..., :-1], p[..., 1:]
    return np.sum(100.0 * (b - a**2) ** 2 + (1.0 - a) ** 2, axis=-1)


def _rosenbrock_grad(p: Array) -> Array:
    a, b = p[..., :-1], p[..., 1:]
    r = b - a**2
    g = np.zeros_like(p)
    g[..., :-1] = -400.0 * a * r - 2.0 * (1.0 - a)
    g[..., 1:] += 200.0 * r
    return g


def _rastrigin(p: Array) -> Array:
    """10 n + Σ (xᵢ² − 10 cos 2πxᵢ)."""
    return 10.0 * p.shape[-1] + np.sum(p**2 - 10.0 * np.cos(_TWO_PI * p), axis=-1)


def _rastrigin_grad(p: Array) -> Array:
    return 2.0 * p + 10.0 * _TWO_PI * np.sin(_TWO_PI * p)


def _ackley(p: Array) -> Array:
    """−20 exp(−0.2 √(Σ xᵢ²/n)) − exp(Σ cos(2πxᵢ)/n) + 20 + e."""
    r = np.sqrt(np.mean(p**2, axis=-1))
    c = np.mean(np.cos(_TWO_PI * p), axis=-1)
    return -20.0 * np.exp(-0.2 * r) - np.exp(c) + 20.0 + math.e


def _ackley_grad(p: Array) -> Array:
    # ∂r/∂xᵢ = xᵢ / (n r) is 0/0 at the origin, where the gradient is defined as 0.
    n = p.shape[-1]
    r = np.sqrt(np.mean(p**2, axis=-1, keepdims=True))
    c = np.mean(np.cos(_TWO_PI * p), axis=-1, keepdims=True)
    radial = np.where(r > 0, 4.0 * np.exp(-0.2 * r) * p / (n * np.where(r > 0, r, 1.0)), 0.0)
    return radial + _TWO_PI / n * np.exp(c) * np.sin(_TWO_PI * p)


# ------------------------------------------------------------------- two-variable functions


def _booth(p: Array) -> Array:
    """(x + 2y − 7)² + (2x + y − 5)²."""
    x, y = _xy(p)
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def _booth_grad(p: Array) -> Array:
    x, y = _xy(p)
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return _stack(2 * a + 4 * b, 4 * a + 2 * b)


def _matyas(p: Array) -> Array:
    """0.26 (x² + y²) − 0.48 x y."""
    x, y = _xy(p)
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def _matyas_grad(p: Array) -> Array:
    x, y = _xy(p)
    return _stack(0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)


def _beale(p: Array) -> Array:
    """(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²."""
    x, y = _xy(p)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_grad(p: Array) -> Array:
    x, y = _xy(p)
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    gy = 2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y**2
    return _stack(gx, gy)


def _himmelblau(p: Array) -> Array:
    """(x² + y − 11)² + (x + y² − 7)²."""
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(p: Array) -> Array:
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return _stack(4 * x * a + 2 * b, 2 * a + 4 * y * b)


def _three_hump_camel(p: Array) -> Array:
    """2x² − 1.05x⁴ + x⁶/6 + xy + y²."""
    x, y = _xy(p)
    return 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2


def _three_hump_camel_grad(p: Array) -> Array:
    x, y = _xy(p)
    return _stack(4 * x - 4.2 * x**3 + x**5 + y, x + 2 * y)


def _six_hump_camel(p: Array) -> Array:
    """(4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y²."""
    x, y = _xy(p)
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (4 * y**2 - 4) * y**2


def _six_hump_camel_grad(p: Array) -> Array:
    x, y = _xy(p)
    return _stack(8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3)


def _goldstein_price(p: Array) -> Array:
    """[1 + (x+y+1)² (19 − 14x + 3x² − 14y + 6xy + 3y²)]
    × [30 + (2x−3y)² (18 − 32x + 12x² + 48y − 36xy + 27y²)]."""
    x, y = _xy(p)
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return a * b


def _goldstein_price_grad(p: Array) -> Array:
    x, y = _xy(p)
    s, q = x + y + 1, 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
    d, r = 2 * x - 3 * y, 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    a, b = 1 + s**2 * q, 30 + d**2 * r
    da = 2 * s * q + s**2 * (6 * x + 6 * y - 14)  # ∂a/∂x = ∂a/∂y
    bx = 4 * d * r + d**2 * (24 * x - 36 * y - 32)
    by = -6 * d * r + d**2 * (54 * y - 36 * x + 48)
    return _stack(da * b + a * bx, da * b + a * by)


def _saddle(p: Array) -> Array:
    """x² − y²."""
    x, y = _xy(p)
    return x**2 - y**2


def _saddle_grad(p: Array) -> Array:
    x, y = _xy(p)
    return _stack(2 * x, -2 * y)


def _monkey_saddle(p: Array) -> Array:
    """x³ − 3xy²."""
    x, y = _xy(p)
    return x**3 - 3 * x * y**2


def _monkey_saddle_grad(p: Array) -> Array:
    x, y = _xy(p)
    return _stack(3 * x**2 - 3 * y**2, -6 * x * y)


# ------------------------------------------------------------------------ one variable


def _double_well(p: Array) -> Array:
    """x⁴ − 3x² + x."""
    x = p[..., 0]
    return x**4 - 3 * x**2 + x


def _double_well_grad(p: Array) -> Array:
    return 4 * p**3 - 6 * p + 1


def _double_well_critical_points() -> tuple[float, float, float]:
    """Roots of f'(x) = 4x³ − 6x + 1, i.e. x³ − 1.5x + 0.25 = 0, ascending.

    Trigonometric form for three real roots of t³ + pt + q: 2√(−p/3) cos(φ/3 − 2πk/3) with
    cos φ = (3q / 2p) √(−3/p); one Newton step then polishes each root to the last bit.
    """
    p, q = -1.5, 0.25
    phi = math.acos(3 * q / (2 * p) * math.sqrt(-3 / p))
    roots = []
    for k in range(3):
        t = 2 * math.sqrt(-p / 3) * math.cos(phi / 3 - 2 * math.pi * k / 3)
        roots.append(t - (4 * t**3 - 6 * t + 1) / (12 * t**2 - 6))
    low, mid, high = sorted(roots)
    return low, mid, high
