"""Errors raised by descend.

Every error descend raises on purpose derives from one base class, so a caller can catch them
all at once; each is also a ``ValueError`` (or ``TypeError``) so generic code keeps working::

    DescendError
    ├── ExpressionError       (ValueError)  a text expression that cannot be parsed or evaluated
    ├── HyperparameterError   (ValueError)  lr <= 0, beta outside [0, 1), an unknown optimizer...
    ├── ShapeError            (ValueError)  x0 of the wrong length, a gradient of the wrong shape
    ├── DataError             (ValueError)  a table or array that cannot be used for training
    ├── UnknownNameError      (ValueError)  a built-in function, optimizer, loss... not found
    ├── ArgumentError         (TypeError)   an argument of the wrong kind (None for a gradient)
    └── MissingDependencyError (ImportError) an optional library (an extra) is not installed

Messages name the bad value and, where there is one, the fix.
"""

from __future__ import annotations


class DescendError(Exception):
    """Base class of every error descend raises on purpose."""


class ExpressionError(DescendError, ValueError):
    """A text expression that cannot be parsed, or is not finite where it is evaluated.

    ``position`` is the 0-based character offset of the problem in the text, when known.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class HyperparameterError(DescendError, ValueError):
    """A hyperparameter outside its valid range (lr <= 0, beta outside [0, 1), ...)."""


class ShapeError(DescendError, ValueError):
    """An array of the wrong shape: x0, a gradient, features or targets."""


class DataError(DescendError, ValueError):
    """Data that cannot be used: missing values, non-numeric columns, an empty file..."""


class UnknownNameError(DescendError, ValueError):
    """A name (built-in function, optimizer, loss, schedule) that descend does not know."""


class ArgumentError(DescendError, TypeError):
    """An argument of the wrong kind: not a callable where a function is needed, ..."""


class MissingDependencyError(DescendError, ImportError):
    """An optional library is missing; the message names the ``pip install "descend[...]"``."""
