"""Bundled data sets: small tables for the examples, the demo and the tests.

``load_dataset(name)`` returns a :class:`~descend.io.table.Table` (``X``, ``y``, the column names
and ``path="<bundled:NAME>"``); ``DATASETS`` maps each name to a one-line description. Nothing
is downloaded: three sets are CSV files under ``descend/data/`` (shipped in the wheel), and
``iris`` comes from the copy bundled with scikit-learn.

=================  ========  =====================================================  ============
name               X shape   columns (target last)                                  y
=================  ========  =====================================================  ============
``hours_studied``  (5, 1)    ``hours``, ``score``                                   float
``house_prices``   (50, 3)   ``size_m2``, ``bedrooms``, ``age_years``, ``price_k``  float
``exam_pass``      (80, 2)   ``hours_studied``, ``hours_slept``, ``passed``         0.0 / 1.0
``iris``           (150, 4)  ``sepal_length_cm``, ``sepal_width_cm``,               labels
                             ``petal_length_cm``, ``petal_width_cm``, ``species``
=================  ========  =====================================================  ============

How each was made:

``hours_studied``
    The introductory articles' example, typed in: hours studied x = 1, 2, 3, 4, 5 and exam scores
    y = 2, 4, 5, 4, 5. Its least-squares line is y = 0.6 x + 2.2.

``house_prices``
    Synthetic, generated once by ``_house_prices_rows()`` with
    ``rng = numpy.random.default_rng(2024)`` and 50 houses, drawn in this order:

    - ``size_m2 = rng.integers(35, 201, 50)`` (whole square metres, 35 to 200);
    - ``bedrooms = clip(rint(size_m2 / 40 + rng.normal(0, 0.5, 50)), 1, 6)``;
    - ``age_years = rng.integers(0, 61, 50)`` (0 to 60 years);
    - ``price_k = 40 + 2.2 size_m2 + 12 bedrooms - 0.9 age_years + rng.normal(0, 20, 50)``,
      in thousands, rounded to 0.1.

    So a least-squares fit should find roughly price_k ≈ 40 + 2.2 size + 12 bedrooms - 0.9 age;
    the noise (standard deviation 20) keeps it from being exact.

``exam_pass``
    Synthetic, generated once by ``_exam_pass_rows()`` with
    ``rng = numpy.random.default_rng(2024)`` and 80 students:

    - ``hours_studied = round(rng.uniform(0, 10, 80), 1)``;
    - ``hours_slept = round(rng.uniform(4, 10, 80), 1)``;
    - ``passed = rng.uniform(0, 1, 80) < sigmoid(-10.5 + 1.1 hours_studied + 0.8 hours_slept)``,
      written as 1 or 0.

    The labels are drawn, not thresholded, so the classes overlap and logistic regression
    has finite optimal weights (34 of 80 passed).

``iris``
    Fisher's iris measurements from ``sklearn.datasets.load_iris`` (150 flowers, 50 of each
    species), with the columns renamed to identifiers and ``y`` the species names
    (``'setosa'``, ``'versicolor'``, ``'virginica'``) for a softmax demo.

To write the CSV files again (they are committed; this is how they were made)::

    python -c "from descend.io.datasets import _write_bundled; _write_bundled()"

>>> load_dataset("hours_studied").y
array([2., 4., 5., 4., 5.])
>>> sorted(DATASETS)
['exam_pass', 'hours_studied', 'house_prices', 'iris']
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from descend.base.names import normalise, unknown_name
from descend.io.table import Table, load_table

__all__ = ["DATASETS", "load_dataset"]

#: Every bundled data set: its name and a one-line description.
DATASETS: dict[str, str] = {
    "hours_studied": (
        "the 5 students of the introductory articles: hours studied -> exam score "
        "(least squares: y = 0.6x + 2.2)"
    ),
    "house_prices": (
        "50 synthetic houses: size_m2, bedrooms, age_years -> price_k (thousands), for "
        "linear regression"
    ),
    "exam_pass": (
        "80 synthetic students: hours_studied, hours_slept -> passed (0/1), for logistic regression"
    ),
    "iris": (
        "Fisher's 150 irises (from scikit-learn): 4 measurements in cm -> species "
        "(3 labels), for softmax regression"
    ),
}

# The CSV-backed sets: name -> target column.
_CSV_TARGETS: dict[str, str] = {
    "hours_studied": "score",
    "house_prices": "price_k",
    "exam_pass": "passed",
}

_IRIS_FEATURES = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")


def load_dataset(name: str, *, dtype: DTypeLike = np.float64) -> Table:
    """A bundled data set as a :class:`~descend.io.table.Table`.

    Parameters
    ----------
    name : str
        One of the keys of ``DATASETS``: ``"hours_studied"``, ``"house_prices"``,
        ``"exam_pass"`` or ``"iris"`` (case and ``-``/``_`` do not matter).
    dtype : float dtype, default np.float64
        The dtype of ``X`` (and of a numeric ``y``).

    Returns
    -------
    Table
        ``X``, ``y``, ``feature_names``, ``target_name`` and ``path="<bundled:NAME>"``;
        a fresh copy each call, so changing it changes nothing for the next caller.

    Raises
    ------
    UnknownNameError
        ``name`` is not a bundled data set; the message lists those that are.

    Examples
    --------
    >>> t = load_dataset("hours_studied")
    >>> t.X.ravel(), t.y
    (array([1., 2., 3., 4., 5.]), array([2., 4., 5., 4., 5.]))
    >>> t.feature_names, t.target_name, t.path
    (('hours',), 'score', '<bundled:hours_studied>')
    >>> load_dataset("iris").X.shape
    (150, 4)
    """
    key = normalise(name) if isinstance(name, str) else name
    if key not in DATASETS:
        raise unknown_name(name, DATASETS, "dataset", "the bundled datasets are")
    if key == "iris":
        return _iris(dtype)
    resource = importlib.resources.files("descend").joinpath("data", f"{key}.csv")
    with importlib.resources.as_file(resource) as path:
        table = load_table(path, _CSV_TARGETS[key], dtype=dtype)
    return dataclasses.replace(table, path=f"<bundled:{key}>")


def _iris(dtype: DTypeLike) -> Table:
    from sklearn.datasets import load_iris

    bunch: Any = load_iris()
    X = np.ascontiguousarray(bunch.data, dtype=dtype)
    y = np.asarray(bunch.target_names[bunch.target], dtype=object)
    return Table(
        X=X, y=y, feature_names=_IRIS_FEATURES, target_name="species", path="<bundled:iris>"
    )


# --------------------------------------------------------------------------------------------
# How the bundled CSV files were made (run once; the files are committed)
# --------------------------------------------------------------------------------------------


def _hours_studied_rows() -> list[tuple[Any, ...]]:
    """The introductory articles' table.

    >>> _hours_studied_rows()[:2]
    [('hours', 'score'), (1, 2)]
    """
    return [("hours", "score"), (1, 2), (2, 4), (3, 5), (4, 4), (5, 5)]


def _house_prices_rows(seed: int = 2024, n: int = 50) -> list[tuple[Any, ...]]:
    """The ``house_prices`` table, by the rule in the module docstring.

    >>> _house_prices_rows()[0]
    ('size_m2', 'bedrooms', 'age_years', 'price_k')
    """
    rng = np.random.default_rng(seed)
    size = rng.integers(35, 201, n)
    bedrooms = np.clip(np.rint(size / 40 + rng.normal(0, 0.5, n)), 1, 6).astype(int)
    age = rng.integers(0, 61, n)
    noise = rng.normal(0, 20, n)
    price = np.round(40 + 2.2 * size + 12 * bedrooms - 0.9 * age + noise, 1)
    rows: list[tuple[Any, ...]] = [("size_m2", "bedrooms", "age_years", "price_k")]
    rows += [
        (int(s), int(b), int(a), f"{p:.1f}")
        for s, b, a, p in zip(size, bedrooms, age, price, strict=True)
    ]
    return rows


def _exam_pass_rows(seed: int = 2024, n: int = 80) -> list[tuple[Any, ...]]:
    """The ``exam_pass`` table, by the rule in the module docstring.

    >>> _exam_pass_rows()[0]
    ('hours_studied', 'hours_slept', 'passed')
    """
    rng = np.random.default_rng(seed)
    studied = np.round(rng.uniform(0, 10, n), 1)
    slept = np.round(rng.uniform(4, 10, n), 1)
    z = -10.5 + 1.1 * studied + 0.8 * slept
    passed = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-z))).astype(int)
    rows: list[tuple[Any, ...]] = [("hours_studied", "hours_slept", "passed")]
    rows += [
        (f"{s:.1f}", f"{h:.1f}", int(p)) for s, h, p in zip(studied, slept, passed, strict=True)
    ]
    return rows


_GENERATORS = {
    "hours_studied": _hours_studied_rows,
    "house_prices": _house_prices_rows,
    "exam_pass": _exam_pass_rows,
}


def _csv_text(name: str) -> str:
    """The CSV text of bundled set ``name``, as generated.

    >>> print(_csv_text("hours_studied"))
    hours,score
    1,2
    2,4
    3,5
    4,4
    5,5
    <BLANKLINE>
    """
    return "".join(",".join(str(v) for v in row) + "\n" for row in _GENERATORS[name]())


def _write_bundled(folder: str | None = None) -> list[str]:
    """Write the bundled CSV files into ``folder`` (default: ``descend/data``); their paths.

    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> [os.path.basename(p) for p in _write_bundled(tmp.name)]
    ['hours_studied.csv', 'house_prices.csv', 'exam_pass.csv']
    >>> tmp.cleanup()
    """
    folder = folder or os.path.join(os.path.dirname(__file__), "data")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for name in _GENERATORS:
        path = os.path.join(folder, f"{name}.csv")
        with open(path, "w", newline="") as f:
            f.write(_csv_text(name))
        paths.append(path)
    return paths
