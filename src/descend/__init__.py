"""descend: gradient descent, every variant, done right and fast.

>>> import descend
>>> r = descend.minimize("x**2 + y**2", [3.0, 4.0], lr=0.1)
>>> r.status, r.x.round(6).tolist()
('converged', [0.0, 0.0])
"""

from typing import Any as _Any

from ._datasets import DATASETS, load_dataset
from ._exceptions import (
    DataError,
    DescendError,
    ExpressionError,
    HyperparameterError,
    ShapeError,
    UnknownNameError,
)
from ._expression import Expression, expression
from ._fit import FitHistory, FitResult, fit
from ._functions import FUNCTIONS, BuiltinFunction, function
from ._losses import LOSSES, Loss, get_loss
from ._minimize import Step, minimize
from ._models import (
    LinearModel,
    linear_regression,
    linear_svm,
    logistic_regression,
    softmax_regression,
)
from ._objective import Objective, check_grad, numeric_grad
from ._optimizers import (
    OPTIMIZERS,
    adagrad,
    adam,
    adamw,
    amsgrad,
    get_optimizer,
    momentum,
    nesterov,
    rmsprop,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_momentum,
    scale_by_rms,
    sgd,
)
from ._result import History, Result
from ._schedules import SCHEDULES, constant, cosine, exponential, step_decay, time_decay, warmup
from ._strategies import RestartsResult, random_restarts, simulated_annealing
from ._table import Table, iter_batches, load_features, load_table
from ._transform import (
    GradientTransformation,
    add_decayed_weights,
    chain,
    clip,
    clip_norm,
    scale_by_learning_rate,
)

__version__ = "0.1.0"

# The estimators import scikit-learn, which takes a second: loaded on first use.
_LAZY = {"GDClassifier": "._estimators", "GDRegressor": "._estimators"}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'descend' has no attribute {name!r}")


__all__ = [
    "DATASETS",
    "FUNCTIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "BuiltinFunction",
    "DataError",
    "DescendError",
    "Expression",
    "ExpressionError",
    "FitHistory",
    "FitResult",
    "GDClassifier",
    "GDRegressor",
    "GradientTransformation",
    "History",
    "HyperparameterError",
    "LinearModel",
    "Loss",
    "Objective",
    "RestartsResult",
    "Result",
    "ShapeError",
    "Step",
    "Table",
    "UnknownNameError",
    "__version__",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "amsgrad",
    "chain",
    "check_grad",
    "clip",
    "clip_norm",
    "constant",
    "cosine",
    "exponential",
    "expression",
    "fit",
    "function",
    "get_loss",
    "get_optimizer",
    "iter_batches",
    "linear_regression",
    "linear_svm",
    "load_dataset",
    "load_features",
    "load_table",
    "logistic_regression",
    "minimize",
    "momentum",
    "nesterov",
    "numeric_grad",
    "random_restarts",
    "rmsprop",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_rms",
    "sgd",
    "simulated_annealing",
    "softmax_regression",
    "step_decay",
    "time_decay",
    "warmup",
]
