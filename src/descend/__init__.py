"""descend: gradient descent, every variant, done right and fast.

>>> import descend
>>> r = descend.minimize("x**2 + y**2", [3.0, 4.0], lr=0.1)
>>> r.status, r.x.round(6).tolist()
('converged', [0.0, 0.0])
"""

from ._exceptions import (
    DataError,
    DescendError,
    ExpressionError,
    HyperparameterError,
    ShapeError,
    UnknownNameError,
)
from ._minimize import Step, minimize
from ._objective import Objective, check_grad, numeric_grad
from ._optimizers import (
    OPTIMIZERS,
    adagrad,
    adam,
    adamw,
    get_optimizer,
    momentum,
    rmsprop,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_momentum,
    scale_by_rms,
    sgd,
)
from ._result import History, Result
from ._schedules import SCHEDULES, constant, cosine, exponential, step_decay, time_decay, warmup
from ._transform import (
    GradientTransformation,
    add_decayed_weights,
    chain,
    clip,
    clip_norm,
    scale_by_learning_rate,
)

__version__ = "0.1.0"

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "DataError",
    "DescendError",
    "ExpressionError",
    "GradientTransformation",
    "History",
    "HyperparameterError",
    "Objective",
    "Result",
    "ShapeError",
    "Step",
    "UnknownNameError",
    "__version__",
    "adagrad",
    "adam",
    "adamw",
    "add_decayed_weights",
    "chain",
    "check_grad",
    "clip",
    "clip_norm",
    "constant",
    "cosine",
    "exponential",
    "get_optimizer",
    "minimize",
    "momentum",
    "numeric_grad",
    "rmsprop",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_rms",
    "sgd",
    "step_decay",
    "time_decay",
    "warmup",
]
