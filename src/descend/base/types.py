"""The array and learning-rate types that every layer shares."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

#: θ, gradients and data: float64 arrays.
Array = NDArray[np.float64]
#: A learning-rate schedule: the update count t (first update t = 0) to α_t.
Schedule = Callable[[int], float]
#: A constant learning rate or a schedule.
LearningRate = float | Schedule
