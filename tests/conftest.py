"""Fixtures shared by the test modules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def frame() -> pd.DataFrame:
    """A small numeric table with a target column, for the table readers' tests."""
    rng = np.random.default_rng(0)
    m = 23
    return pd.DataFrame(
        {
            "x1": rng.normal(size=m),  # full-precision floats: must round-trip exactly
            "count": rng.integers(-5, 100, size=m),
            "x2": rng.uniform(-1e6, 1e6, size=m),
            "target": rng.normal(10, 3, size=m),
        }
    )
