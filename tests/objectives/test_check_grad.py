"""check_grad: the absolute and the relative difference, and typed errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import descend


def f(x):
    return 1e6 * x[0] ** 4


def test_a_correct_gradient_of_a_large_function_has_a_tiny_relative_error():
    # f′(10) = 4·10⁶·10³ = 4·10⁹: an absolute error of about 0.1 is 3·10⁻¹¹ of it.
    result = descend.check_grad(f, lambda x: 4e6 * x**3, [10.0])
    assert result.relative < 1e-9
    assert result.absolute == pytest.approx(result.relative * 4e9, rel=1e-9)
    assert float(result) == result.absolute  # still a float: check_grad(...) < tol works
    assert "relative=" in repr(result)


def test_a_wrong_gradient_has_a_relative_error_of_order_one():
    # half the true derivative: |2·10⁹ − 4·10⁹| / 4·10⁹ = 1/2
    result = descend.check_grad(f, lambda x: 2e6 * x**3, [10.0])
    assert result.relative == pytest.approx(0.5, rel=1e-6)


def test_a_zero_gradient_that_is_right_has_relative_error_zero():
    result = descend.check_grad(lambda x: float(x @ x), lambda x: 2 * x, [0.0, 0.0])
    assert result.absolute == 0.0 and result.relative == 0.0


@pytest.mark.parametrize("which", ["fun", "grad"])
def test_none_is_a_typed_error_naming_the_argument(which):
    args = {"fun": f, "grad": lambda x: 4e6 * x**3}
    args[which] = None
    with pytest.raises(descend.ArgumentError, match=rf"check_grad needs {which} as a callable"):
        descend.check_grad(args["fun"], args["grad"], [1.0])
    assert issubclass(descend.ArgumentError, TypeError)
    assert issubclass(descend.ArgumentError, descend.DescendError)


def test_minimize_with_a_grad_that_is_not_callable_is_a_typed_error():
    with pytest.raises(descend.ArgumentError, match="grad must be a callable"):
        descend.minimize(f, [1.0], grad=np.array([1.0]))
