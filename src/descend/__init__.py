"""descend: gradient descent, every variant, done right and fast.

>>> import descend
>>> r = descend.minimize("x**2 + y**2", [3.0, 4.0], lr=0.1)
>>> r.status, r.x.round(6).tolist()
('converged', [0.0, 0.0])
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from descend.base.version import __version__

#: Where each public name lives. ``import descend`` loads nothing else: each name's module
#: (and its dependencies: SymPy, Numba, scikit-learn, ...) loads on first use.
_HOMES: dict[str, str] = {
    "SavedModel": "descend.io.model_files",
    "load_model": "descend.io.model_files",
    "save_model": "descend.io.model_files",
    "ArgumentError": "descend.base.errors",
    "DataError": "descend.base.errors",
    "DescendError": "descend.base.errors",
    "ExpressionError": "descend.base.errors",
    "HyperparameterError": "descend.base.errors",
    "ShapeError": "descend.base.errors",
    "UnknownNameError": "descend.base.errors",
    "FitHistory": "descend.engine.fit",
    "FitResult": "descend.engine.fit",
    "fit": "descend.engine.train",
    "Step": "descend.engine.minimize",
    "minimize": "descend.engine.minimize",
    "History": "descend.engine.result",
    "Result": "descend.engine.result",
    "RestartsResult": "descend.engine.strategies",
    "random_restarts": "descend.engine.strategies",
    "simulated_annealing": "descend.engine.strategies",
    "GDClassifier": "descend.estimators.linear",
    "GDRegressor": "descend.estimators.linear",
    "GDMLPClassifier": "descend.estimators.mlp",
    "GDMLPRegressor": "descend.estimators.mlp",
    "DATASETS": "descend.io.datasets",
    "load_dataset": "descend.io.datasets",
    "Table": "descend.io.table",
    "iter_batches": "descend.io.table",
    "load_features": "descend.io.table",
    "load_table": "descend.io.table",
    "LinearModel": "descend.models.linear",
    "linear_regression": "descend.models.linear",
    "linear_svm": "descend.models.linear",
    "logistic_regression": "descend.models.linear",
    "softmax_regression": "descend.models.linear",
    "ACTIVATIONS": "descend.models.activations",
    "MLP": "descend.models.mlp",
    "Model": "descend.models.model",
    "LOSSES": "descend.models.losses",
    "Loss": "descend.models.losses",
    "get_loss": "descend.models.losses",
    "Expression": "descend.objectives.expression",
    "expression": "descend.objectives.expression",
    "BuiltinFunction": "descend.objectives.functions",
    "FUNCTIONS": "descend.objectives.functions",
    "function": "descend.objectives.functions",
    "Objective": "descend.objectives.objective",
    "check_grad": "descend.objectives.objective",
    "numeric_grad": "descend.objectives.objective",
    "OPTIMIZERS": "descend.optim.rules",
    "adagrad": "descend.optim.rules",
    "adam": "descend.optim.rules",
    "adamw": "descend.optim.rules",
    "amsgrad": "descend.optim.rules",
    "get_optimizer": "descend.optim.rules",
    "momentum": "descend.optim.rules",
    "nesterov": "descend.optim.rules",
    "rmsprop": "descend.optim.rules",
    "scale_by_adagrad": "descend.optim.rules",
    "scale_by_adam": "descend.optim.rules",
    "scale_by_momentum": "descend.optim.rules",
    "scale_by_rms": "descend.optim.rules",
    "sgd": "descend.optim.rules",
    "SCHEDULES": "descend.optim.schedules",
    "constant": "descend.optim.schedules",
    "cosine": "descend.optim.schedules",
    "exponential": "descend.optim.schedules",
    "step_decay": "descend.optim.schedules",
    "time_decay": "descend.optim.schedules",
    "warmup": "descend.optim.schedules",
    "GradientTransformation": "descend.optim.transform",
    "add_decayed_weights": "descend.optim.transform",
    "chain": "descend.optim.transform",
    "clip": "descend.optim.transform",
    "clip_norm": "descend.optim.transform",
    "scale_by_learning_rate": "descend.optim.transform",
}

if _TYPE_CHECKING:
    from descend.base.errors import (
        ArgumentError,
        DataError,
        DescendError,
        ExpressionError,
        HyperparameterError,
        ShapeError,
        UnknownNameError,
    )
    from descend.engine.fit import FitHistory, FitResult
    from descend.engine.minimize import Step, minimize
    from descend.engine.result import History, Result
    from descend.engine.strategies import RestartsResult, random_restarts, simulated_annealing
    from descend.engine.train import fit
    from descend.estimators.linear import GDClassifier, GDRegressor
    from descend.estimators.mlp import GDMLPClassifier, GDMLPRegressor
    from descend.io.datasets import DATASETS, load_dataset
    from descend.io.model_files import SavedModel, load_model, save_model
    from descend.io.table import Table, iter_batches, load_features, load_table
    from descend.models.activations import ACTIVATIONS
    from descend.models.linear import (
        LinearModel,
        linear_regression,
        linear_svm,
        logistic_regression,
        softmax_regression,
    )
    from descend.models.losses import LOSSES, Loss, get_loss
    from descend.models.mlp import MLP
    from descend.models.model import Model
    from descend.objectives.expression import Expression, expression
    from descend.objectives.functions import FUNCTIONS, BuiltinFunction, function
    from descend.objectives.objective import Objective, check_grad, numeric_grad
    from descend.optim.rules import (
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
    from descend.optim.schedules import (
        SCHEDULES,
        constant,
        cosine,
        exponential,
        step_decay,
        time_decay,
        warmup,
    )
    from descend.optim.transform import (
        GradientTransformation,
        add_decayed_weights,
        chain,
        clip,
        clip_norm,
        scale_by_learning_rate,
    )


def __getattr__(name: str) -> _Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = sorted([*_HOMES, "__version__"])
