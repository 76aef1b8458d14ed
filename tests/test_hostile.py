"""Hostile and careless input: no crash, no hang, no silent wrong answer, nothing overwritten.

The audit's list, one test (or a few) per finding. Every expected value comes from outside the
code under test: a closed form, a count done by hand, NumPy's least squares, or the bytes of a
file as they were before the command ran. Timing appears only as a bound that proves there is
no hang (many times the limit), never as a speed requirement.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import fuzz
import numpy as np
import pytest
from typer.testing import CliRunner

import descend
from descend import DataError, DescendError, ExpressionError, HyperparameterError
from descend.io.model_files import predict, read_document
from descend.main import app
from descend.objectives import bounded

runner = CliRunner()

SLOW = (
    "tanh(sinh((-(1/z-100)**1000)**z))",
    "atan(cosh(-(((1e308)-(cosh(pi)))/(((y)/(1e-300))**(((y)/(1000))+(1e3))))))",
)
#: A hang is many times the limit; the limit itself is 1.5 s.
NO_HANG = 10 * bounded.TIME_LIMIT + 5


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def one_line_error(result: Any, contains: str, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert contains.lower() in lines[0].lower(), lines[0]
    return lines[0]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


# --- crashes and hangs -------------------------------------------------------------------------


def test_abs_on_the_compiled_engine_from_the_command_line() -> None:
    # |x| from 0.5 with lr 0.01: x = 0.5 − 0.01·t until it crosses 0 (t = 50), then it
    # oscillates between +0 and −0.01 (sign(0) = 0 would stop it at exactly 0)
    result = run("minimize", "abs(x)", "--x0", "0.5", "--max-iter", "20000", "--json")
    assert result.exit_code == 0, result.output
    x = json.loads(result.stdout)["x"][0]
    assert abs(x) <= 0.01 + 1e-12


@pytest.mark.parametrize("text", SLOW)
def test_slow_expressions_are_refused_in_time_and_the_process_stays_usable(text: str) -> None:
    start = time.monotonic()
    with pytest.raises(ExpressionError, match=r"takes more than 1\.5 s"):
        descend.expression(text)
    assert time.monotonic() - start < NO_HANG
    assert descend.expression("x**2 + 3*y")([1.0, 2.0]) == 7.0  # 1 + 6


def test_slow_expression_on_the_command_line_is_one_line() -> None:
    start = time.monotonic()
    one_line_error(run("minimize", SLOW[0]), "takes more than 1.5 s")
    assert time.monotonic() - start < NO_HANG


def test_the_worker_gives_what_the_process_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same text, in-process and through the forked worker: same formulas, same numbers."""
    texts = ["(1 - x)**2 + 100*(y - x**2)**2", "abs(x)*sigmoid(y) + log(1 + x**2)", "x**y"]
    direct = [descend.expression(t, time_limit=None) for t in texts]
    monkeypatch.setattr("descend.objectives.expression.is_cheap", lambda text: False)
    forked = [descend.expression(t) for t in texts]
    point = np.array([[0.7, 1.3], [1.5, 0.5]])
    for a, b in zip(direct, forked, strict=True):
        assert a.gradient_formulas == b.gradient_formulas and a.variables == b.variables
        np.testing.assert_array_equal(a(point), b(point))
        np.testing.assert_array_equal(a.grad(point), b.grad(point))
    with pytest.raises(ExpressionError, match="at position 5") as info:  # errors keep positions
        descend.expression("x + y)")
    assert info.value.position == 5


@pytest.mark.parametrize("limit", [0, -1.0, "2"])
def test_a_bad_time_limit_is_refused(limit: Any) -> None:
    with pytest.raises(HyperparameterError, match="time_limit"):
        descend.expression("x**y", time_limit=limit)


def test_huge_max_iter_records_only_the_steps_taken() -> None:
    # x² from 1 with α = 0.01: x_t = 0.98^t, converged once |2·x_t| < 1e-6
    steps = math.ceil(math.log(5e-7) / math.log(0.98))
    result = run("minimize", "x**2", "--max-iter", "10000000000", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["nit"] == steps == 719
    r = descend.minimize("x**2", [1.0], max_iter=10**10)
    assert r.nit == steps and r.history.x.shape == (steps + 1, 1)


def test_an_impossible_compiled_history_is_one_line() -> None:
    # path (max_iter + 1 rows of 1) + J + ‖∇J‖ + step sizes + learning rates, float64
    gib = 8 * (3 * (10**10 + 1) + 2 * 10**10) / 2**30
    with pytest.raises(HyperparameterError, match=rf"needs {gib:.3g} GiB"):
        descend.minimize("x**2", [1.0], max_iter=10**10, engine="compiled")


def test_impossible_restarts_are_one_line() -> None:
    one_line_error(run("minimize", "rosenbrock", "--restarts", "1000000000"), "n_starts=")


def test_a_deeply_nested_model_file_is_one_line(tmp_path: Path) -> None:
    model = tmp_path / "deep.json"
    model.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="nested too deeply"):
        read_document(model)
    data = write_csv(tmp_path / "x.csv", ["a"], [[1.0]])
    one_line_error(run("predict", str(model), str(data)), "nested too deeply")


# --- silent wrong answers ----------------------------------------------------------------------


def test_the_task_comes_from_the_data_not_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "osiris"
    folder.mkdir()
    # y = 2x + 1 exactly, with two distinct values only: still a regression
    data = write_csv(folder / "houses.csv", ["x", "y"], [[0, 1], [1, 3], [0, 1], [1, 3]])
    result = run("fit", str(data), "--target", "y", "--validation", "0", "--penalty", "none")
    assert result.exit_code == 0, result.output
    assert "task: regression (inferred: the target 'y' holds numbers" in result.stdout
    out = json.loads(run("fit", str(data), "--target", "y", "--validation", "0", "--json").stdout)
    assert out["task"] == "regression"
    labels = write_csv(folder / "iris_like.csv", ["x", "kind"], [[0, "a"], [1, "b"], [0, "a"]])
    assert (
        "task: classification (inferred: the target 'kind' holds labels"
        in run("fit", str(labels), "--target", "kind", "--validation", "0").stdout
    )
    forced = run("fit", str(data), "--target", "y", "--task", "classification", "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["classes"] == [1, 3]


def test_a_constant_target_is_a_regression_to_the_constant(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "c.csv", ["x", "y"], [[1, 5], [2, 5], [3, 5], [4, 5]])
    result = run("fit", str(data), "--target", "y", "--validation", "0", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["task"] == "regression"
    assert out["intercept"] + out["coef"][0] * 2.5 == pytest.approx(5.0, rel=1e-3)


@pytest.mark.parametrize("size", [1.0, 1e160, 1e300])
def test_scaled_regression_on_huge_features(size: float) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = X @ np.array([2.0, -3.0]) + 1.0 + 0.01 * rng.normal(size=200)
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), y, rcond=None)[0]
    est = descend.GDRegressor(penalty=None, tol=1e-10, random_state=0).fit(X * size, y)
    assert np.all(np.isfinite(est.scaler_scale_))
    np.testing.assert_allclose(est.coef_ * size, ref[:2], rtol=1e-3)
    assert est.intercept_ == pytest.approx(ref[2], rel=1e-3)


def test_a_column_near_the_float_range_on_the_command_line(tmp_path: Path) -> None:
    # y = 3x + 1 exactly, with the column stored as x·1e308: a perfect fit has R² = 1
    x = np.linspace(-1, 1, 41)
    data = write_csv(
        tmp_path / "big.csv",
        ["x", "y"],
        [[repr(float(a) * 1e308), repr(float(3 * a + 1))] for a in x],
    )
    result = run("fit", str(data), "--target", "y", "--validation", "0", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["metrics"]["train"]["r2"] == pytest.approx(1.0, abs=1e-6)
    assert out["coef"][0] * 1e308 == pytest.approx(3.0, rel=1e-3)


def test_features_beyond_the_float_range_are_one_line() -> None:
    X = np.array([[1.7e308], [-1.7e308], [1.7e308]])  # x − mean overflows: 3.4e308 > 1.8e308
    with pytest.raises(DataError, match="spans more than the float range"):
        descend.GDRegressor().fit(X, [1.0, 2.0, 3.0])


def model_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "descend-model",
        "version": 1,
        "task": "regression",
        "loss": "squared_error",
        "penalty": None,
        "alpha": 0.0,
        "features": ["a", "b"],
        "target": "y",
        "classes": None,
        "coef": [1.0, 2.0],
        "intercept": 0.5,
    }
    doc.update(changes)
    return doc


CLASSIFIER = dict(task="classification", coef=[[1.0, 2.0]], intercept=[0.0])


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        (dict(coef=[True, False]), ["'coef'[0]", "'coef'[1]"]),
        (dict(coef=["1", "2"]), ["'coef'[0]", "'coef'[1]"]),
        (dict(target=None), ["'target'"]),
        (dict(**CLASSIFIER, classes=[{"x": 1}, [1]]), ["'classes'[0]", "'classes'[1]"]),
        (dict(**CLASSIFIER, classes=["a", "a"]), ["'classes': must not repeat"]),
        (dict(alpha=-1, loss="nope"), ["'loss'", "'alpha'"]),
        (dict(coef=[1.0]), ["'coef' as 2 number(s)"]),
    ],
)
def test_tampered_model_files_list_every_problem(
    tmp_path: Path, changes: dict[str, Any], problems: list[str]
) -> None:
    model = tmp_path / "m.json"
    model.write_text(json.dumps(model_doc(**changes)))
    with pytest.raises(DataError) as info:
        read_document(model)
    lines = str(info.value).splitlines()
    assert f"{len(problems)} problem(s)" in lines[0]
    assert len(lines) == len(problems) + 2  # the summary, one line per problem, the advice
    for line, expected in zip(lines[1:], problems, strict=False):
        assert expected in line
    data = write_csv(tmp_path / "x.csv", ["a", "b"], [[1.0, 2.0]])
    one_line_error(run("predict", str(model), str(data)), problems[0])


def test_predictions_that_overflow_are_refused(tmp_path: Path) -> None:
    model = tmp_path / "m.json"
    model.write_text(json.dumps(model_doc(coef=[1e308, 1e308])))
    doc = read_document(model)
    # 1·1e308 + 2·1e308 overflows; 1e-300·1e308 + 0 does not: 1e8 + 0.5
    assert predict(doc, np.array([[1e-300, 0.0]]))[0] == pytest.approx(1e8 + 0.5)
    with pytest.raises(DataError, match="not finite for 1 row"):
        predict(doc, np.array([[1e-300, 0.0], [1.0, 2.0]]))


def test_not_finite_at_the_start_says_value_or_gradient() -> None:
    with pytest.raises(ExpressionError, match=r"gradient is not finite .*gradient \[inf\]"):
        descend.minimize("sqrt(x)", [0.0])  # √0 = 0, d√x/dx = 1/(2√x) = inf
    with pytest.raises(ExpressionError, match=r"it is not finite at the start .*value nan"):
        descend.minimize("log(x)", [-1.0])


def test_pi_is_pi_and_reserved_names_are_refused() -> None:
    assert descend.expression("π*x**2")([2.0]) == pytest.approx(4 * math.pi, rel=1e-15)
    for name in ("E", "I", "oo", "nan", "inf"):
        with pytest.raises(ExpressionError, match=f"the name '{name}' is reserved"):
            descend.expression(f"{name}*x + x")
        with pytest.raises(ExpressionError, match="cannot be a variable name"):
            descend.expression("x", variables=["x", name])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x # comment", "'#' at position 2"),
        ("x # + y", "comments are not part"),
        ("1_000*x", "holds an underscore"),
    ],
)
def test_comments_and_underscores_are_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        descend.expression(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--schedule", "warmup:steps=10+"], "empty part"),
        (["--schedule", "+cosine:decay_steps=10"], "empty part"),
        (["--x0", "1_000"], "without underscores"),
    ],
)
def test_careless_options_are_refused(args: list[str], message: str) -> None:
    one_line_error(run("minimize", "x**2", *args), message)


def test_adam_overflow_is_quiet_and_honest() -> None:
    # maximising eˣ with Adam at lr = 10: the step stops once g² = e^(2x) overflows, that is
    # past x = ln(1.797e308)/2, and one step is at most lr·(1 − β1)/√(1 − β2) = 31.6 long
    # (from x₀ = 340, so that g² overflows before J passes e³⁴⁰·10¹², where the run would
    # stop as unbounded above)
    r = descend.minimize(
        "exp(x)", [340.0], optimizer="adam", lr=10, maximize=True, engine="numpy", max_iter=200
    )
    edge = math.log(np.finfo(np.float64).max) / 2
    assert edge < r.x[0] < edge + 10 * 0.1 / math.sqrt(0.001)
    assert r.status == "max_iter"
    # from x₀ = 0 it is unbounded above: stopped before eˣ passes 1 + 2·10¹²
    r = descend.minimize(
        "exp(x)", [0.0], optimizer="adam", lr=10, maximize=True, engine="numpy", max_iter=200
    )
    assert r.status == "diverged" and "unbounded above" in r.message
    assert math.log(1 + 2e12) - 10 * 0.1 / math.sqrt(0.001) < r.x[0] <= math.log(1 + 2e12)


# --- files -------------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "d.csv", ["x", "y"], [[i, 2 * i + 1] for i in range(8)])


def test_fit_refuses_to_write_over_its_data(data: Path) -> None:
    before = data.read_bytes()
    for extra in ([], ["--force"]):
        result = run("fit", str(data), "--target", "y", "--out", str(data), *extra)
        one_line_error(result, "is an input of this command")
        assert data.read_bytes() == before


def test_predict_refuses_to_write_over_its_model(tmp_path: Path, data: Path) -> None:
    model = tmp_path / "m.json"
    assert run("fit", str(data), "--target", "y", "--out", str(model), "-q").exit_code == 0
    before = model.read_bytes()
    one_line_error(run("predict", str(model), str(data), "--out", str(model)), "is an input")
    one_line_error(run("predict", str(model), str(data), "--out", str(data)), "is an input")
    assert model.read_bytes() == before


def test_an_existing_output_needs_force(tmp_path: Path, data: Path) -> None:
    model = tmp_path / "m.json"
    model.write_text("keep me")
    one_line_error(run("fit", str(data), "--target", "y", "--out", str(model)), "--force")
    assert model.read_text() == "keep me"
    result = run("fit", str(data), "--target", "y", "--out", str(model), "--force", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(model.read_text())["format"] == "descend-model"


def test_a_killed_prediction_leaves_nothing_for_long(tmp_path: Path, data: Path) -> None:
    model = tmp_path / "m.json"
    assert run("fit", str(data), "--target", "y", "--out", str(model), "-q").exit_code == 0
    stale = tmp_path / ".preds.999999999.abcdefgh.tmp.csv"  # a writer that no longer runs
    stale.write_bytes(b"x" * 1000)
    preds = tmp_path / "preds.csv"
    assert run("predict", str(model), str(data), "--out", str(preds)).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "m.json", "preds.csv"]


# --- errors ------------------------------------------------------------------------------------


def test_estimators_raise_descends_errors() -> None:
    import scipy.sparse

    cases = [
        (descend.GDRegressor(), [[np.nan]], [1.0], "NaN"),
        (descend.GDClassifier(), [[1.0], [2.0]], [0, 0], "at least 2 classes"),
        (descend.GDRegressor(), np.zeros((0, 2)), [], "0 sample"),
        (descend.GDRegressor(), scipy.sparse.csr_matrix(np.eye(3)), [1.0, 2.0, 3.0], "sparse"),
        (descend.GDClassifier(), scipy.sparse.csr_matrix(np.eye(3)), [0, 1, 1], "toarray"),
    ]
    for est, X, y, message in cases:
        with pytest.raises(DataError, match=message) as info:
            est.fit(X, y)
        assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
        assert "dtype object" not in str(info.value)


# --- fuzz --------------------------------------------------------------------------------------


def test_a_short_fuzz_run_finds_only_descends_errors() -> None:
    report = fuzz.run(seconds=3.0, seed=13)
    assert report.tried >= 10
    assert report.foreign == []
    assert report.max_seconds < NO_HANG
    assert isinstance(DescendError("x"), Exception)
