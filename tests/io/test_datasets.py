"""Tests of descend.io.datasets: the bundled data sets."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pytest

from descend import DATASETS, Table, UnknownNameError, load_dataset
from descend.io.datasets import _csv_text, _write_bundled

SHAPES = {
    "hours_studied": (5, 1),
    "house_prices": (50, 3),
    "exam_pass": (80, 2),
    "iris": (150, 4),
}
CSV_SETS = ["hours_studied", "house_prices", "exam_pass"]


def test_names() -> None:
    assert set(DATASETS) == set(SHAPES)
    assert all(isinstance(text, str) and text and "\n" not in text for text in DATASETS.values())


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_set_loads_clean(name: str) -> None:
    t = load_dataset(name)
    assert isinstance(t, Table)
    assert t.X.shape == SHAPES[name]
    assert t.y.shape == (SHAPES[name][0],)
    assert t.X.dtype == np.float64 and t.X.flags.c_contiguous
    assert np.isfinite(t.X).all()
    assert len(t.feature_names) == t.X.shape[1]
    assert t.target_name not in t.feature_names
    assert t.path == f"<bundled:{name}>"
    if not t.is_labelled:
        assert np.isfinite(t.y).all()


def test_hours_studied_is_the_seeds_table() -> None:
    t = load_dataset("hours_studied")
    assert t.feature_names == ("hours",) and t.target_name == "score"
    assert t.X[:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert t.y.tolist() == [2.0, 4.0, 5.0, 4.0, 5.0]


def test_hours_studied_least_squares_line() -> None:
    t = load_dataset("hours_studied")
    slope, intercept = np.polyfit(t.X[:, 0], t.y, 1)
    assert slope == pytest.approx(0.6, abs=1e-12)
    assert intercept == pytest.approx(2.2, abs=1e-12)


def test_house_prices_follow_the_documented_rule() -> None:
    t = load_dataset("house_prices")
    assert t.feature_names == ("size_m2", "bedrooms", "age_years")
    assert t.target_name == "price_k"
    size, bedrooms, age = t.X.T
    assert size.min() >= 35 and size.max() <= 200
    assert set(bedrooms.tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}
    assert age.min() >= 0 and age.max() <= 60
    # rule: price = 40 + 2.2 size + 12 bedrooms - 0.9 age + N(0, 20²)
    rule = 40 + 2.2 * size + 12 * bedrooms - 0.9 * age
    residual = t.y - rule
    assert abs(residual.mean()) < 10 and 10 < residual.std() < 30
    A = np.column_stack([np.ones(len(size)), t.X])
    coef = np.linalg.lstsq(A, t.y, rcond=None)[0]
    assert coef[1] == pytest.approx(2.2, abs=0.2)


def test_exam_pass_is_binary_and_overlapping() -> None:
    t = load_dataset("exam_pass")
    assert t.feature_names == ("hours_studied", "hours_slept")
    assert t.target_name == "passed"
    assert set(t.y.tolist()) == {0.0, 1.0}
    assert int(t.y.sum()) == 34
    studied, slept = t.X.T
    assert studied.min() >= 0 and studied.max() <= 10
    assert slept.min() >= 4 and slept.max() <= 10
    # more study and more sleep pass more often, but the classes overlap (labels were drawn)
    z = -10.5 + 1.1 * studied + 0.8 * slept
    assert t.y[z > 2].mean() > 0.8 and t.y[z < -2].mean() < 0.2
    assert 0 < t.y[np.abs(z) < 1].mean() < 1


def test_iris_labels() -> None:
    t = load_dataset("iris")
    assert t.feature_names == (
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
    )
    assert t.target_name == "species" and t.is_labelled
    names, counts = np.unique(t.y, return_counts=True)
    assert names.tolist() == ["setosa", "versicolor", "virginica"]
    assert counts.tolist() == [50, 50, 50]
    assert t.X[0].tolist() == [5.1, 3.5, 1.4, 0.2]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_float32(name: str) -> None:
    t = load_dataset(name, dtype=np.float32)
    assert t.X.dtype == np.float32
    if not t.is_labelled:
        assert t.y.dtype == np.float32


def test_fresh_copy_each_call() -> None:
    t = load_dataset("house_prices")
    t.X[:] = 0.0
    assert load_dataset("house_prices").X.any()


@pytest.mark.parametrize("spelling", ["Hours-Studied", " hours_studied ", "HOURS STUDIED"])
def test_name_spellings(spelling: str) -> None:
    assert load_dataset(spelling).path == "<bundled:hours_studied>"


def test_unknown_name_lists_the_sets() -> None:
    with pytest.raises(
        UnknownNameError,
        match="unknown dataset 'boston'; the bundled datasets are: hours_studied, house_prices, "
        "exam_pass, iris",
    ):
        load_dataset("boston")
    with pytest.raises(ValueError, match="unknown dataset"):  # UnknownNameError is a ValueError
        load_dataset("")


@pytest.mark.parametrize("name", CSV_SETS)
def test_csv_files_are_package_data(name: str) -> None:
    resource = importlib.resources.files("descend").joinpath("data", f"{name}.csv")
    assert resource.is_file()


@pytest.mark.parametrize("name", CSV_SETS)
def test_bundled_files_match_their_generator(name: str) -> None:
    resource = importlib.resources.files("descend").joinpath("data", f"{name}.csv")
    assert resource.read_text() == _csv_text(name)


def test_write_bundled(tmp_path: Path) -> None:
    paths = _write_bundled(str(tmp_path))
    assert sorted(Path(p).name for p in paths) == sorted(f"{n}.csv" for n in CSV_SETS)
    for p in paths:
        assert Path(p).read_text() == _csv_text(Path(p).stem)
