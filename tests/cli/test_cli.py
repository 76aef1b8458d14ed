"""The ``descend`` command line, through typer's CliRunner (and once as a real process).

Numbers printed with ``--json`` are checked against closed forms (x_t = 10·0.8^t for x² with
α = 0.1) or against the engine called directly in the test; every bad input ends as one line
on stderr with exit code 2 (1 for a run that diverged) and never a traceback.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import descend
from descend import FUNCTIONS, OPTIMIZERS, GDClassifier, GDRegressor, function, load_dataset
from descend.main import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)  # stdout holds the JSON and nothing else


def run_history(*args: str) -> dict[str, Any]:
    """``--json --history``: the summary with the recorded path."""
    return run_json(*args, "--history")


def assert_one_line_error(result: Any, code: int = 2, *, contains: str = "") -> str:
    """Exit code, exactly one line on stderr, no traceback anywhere."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert contains.lower() in lines[0].lower(), lines[0]
    return lines[0]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["", "minimize", "fit", "predict", "functions", "optimizers", "demo"]
)
def test_help_everywhere_with_examples(command: str) -> None:
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.output
    assert "Examples" in result.stdout
    assert "Usage" in result.stdout


def test_no_arguments_shows_help() -> None:
    result = run()
    assert result.exit_code == 0
    assert "minimize" in result.stdout and "Examples" in result.stdout


def test_python_dash_m_descend() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "descend", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "minimize" in done.stdout and "demo" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "descend", "minimize", "rosenbrok"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "did you mean 'rosenbrock'" in bad.stderr


# --- minimize --------------------------------------------------------------------------------


def test_minimize_parabola_json_is_the_closed_form() -> None:
    out = run_history(
        "minimize", "x**2", "--x0", "10", "--lr", "0.1", "--max-iter", "10", "--tol", "0"
    )
    xs = np.array(out["history"]["x"])[:, 0]
    np.testing.assert_allclose(xs, 10 * 0.8 ** np.arange(11), rtol=1e-12)
    np.testing.assert_allclose(out["history"]["fun"], xs**2, rtol=1e-12)
    assert out["gradient_formulas"] == ["2*x"]
    assert out["status"] == "max_iter" and out["nit"] == 10
    assert out["history"]["lr"] == [0.1] * 10


def test_minimize_json_matches_the_engine() -> None:
    out = run_json(
        "minimize",
        "x**2 + 3*y**2",
        "--x0",
        "3,4",
        "--optimizer",
        "adam",
        "--lr",
        "0.1",
        "--max-iter",
        "300",
    )
    ref = descend.minimize("x**2 + 3*y**2", [3.0, 4.0], optimizer="adam", lr=0.1, max_iter=300)
    np.testing.assert_allclose(out["x"], ref.x, rtol=1e-12, atol=1e-15)
    assert out["nit"] == ref.nit and out["status"] == ref.status
    assert out["variables"] == ["x", "y"] and out["gradient_formulas"] == ["2*x", "6*y"]


def test_minimize_rosenbrock_by_name_converges_to_one_one() -> None:
    out = run_json(
        "minimize",
        "rosenbrock",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--max-iter",
        "5000",
        "--tol",
        "1e-8",
    )
    assert out["status"] == "converged"
    np.testing.assert_allclose(out["x"], [1.0, 1.0], atol=1e-6)
    assert out["x0"] == list(function("rosenbrock").x0)


def test_minimize_prints_formula_trace_and_result() -> None:
    result = run("minimize", "x**2 + y**2", "--x0", "3,4", "--lr", "0.1", "--log-every", "5")
    assert result.exit_code == 0, result.output
    for text in ("∂f/∂x = 2*x", "∂f/∂y = 2*y", "Trace", "Result", "converged"):
        assert text in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert any(line.split("│")[1].strip() == "5" for line in rows)  # every 5th step shown


def test_minimize_quiet_prints_only_the_result() -> None:
    result = run("minimize", "x**2", "--x0", "10", "--lr", "0.1", "-q")
    assert result.exit_code == 0
    assert "Trace" not in result.stdout and "∂f/∂x" not in result.stdout
    assert "Result" in result.stdout


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("step_decay:milestones=3/6,gamma=0.5", [0.1] * 3 + [0.05] * 3 + [0.025] * 2),
        ("time_decay:k=1", [0.1 / (1 + t) for t in range(8)]),
        ("exponential:gamma=0.5", [0.1 * 0.5**t for t in range(8)]),
        ("warmup:steps=3", [0.025, 0.05, 0.075] + [0.1] * 5),
        ("warmup:steps=1+cosine:decay_steps=2", [0.05, 0.1, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_minimize_schedules(spec: str, expected: list[float]) -> None:
    out = run_history(
        "minimize",
        "x**2",
        "--x0",
        "1",
        "--lr",
        "0.1",
        "--schedule",
        spec,
        "--max-iter",
        "8",
        "--tol",
        "0",
    )
    np.testing.assert_allclose(out["history"]["lr"], expected, rtol=1e-12, atol=1e-15)


def test_minimize_clip_caps_the_step() -> None:
    out = run_history(
        "minimize",
        "x**4",
        "--x0",
        "10",
        "--lr",
        "0.01",
        "--clip",
        "10",
        "--max-iter",
        "3",
        "--tol",
        "0",
    )
    xs = np.array(out["history"]["x"])[:, 0]
    np.testing.assert_allclose(xs, [10.0, 9.9, 9.8, 9.7], rtol=1e-12)  # |g| > 10: step 0.1
    assert out["history"]["lr"] == [0.01] * 3
    norm = run_history(
        "minimize",
        "x**2 + y**2",
        "--x0",
        "30,40",
        "--lr",
        "0.1",
        "--clip-norm",
        "1",
        "--max-iter",
        "1",
        "--tol",
        "0",
    )
    np.testing.assert_allclose(norm["history"]["x"][1], [29.94, 39.92], rtol=1e-12)


def test_minimize_maximize_climbs() -> None:
    out = run_json("minimize", "4 - x**2 - y**2", "--x0", "1,2", "--maximize", "--lr", "0.1")
    assert out["status"] == "converged" and out["maximize"] is True
    np.testing.assert_allclose(out["x"], [0.0, 0.0], atol=1e-6)
    assert out["fun"] == pytest.approx(4.0)


def test_minimize_restarts_find_the_global_minimum() -> None:
    out = run_json(
        "minimize",
        "double_well",
        "--restarts",
        "12",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--seed",
        "0",
    )
    best = function("double_well").minima[0]
    np.testing.assert_allclose(out["x"], best, atol=1e-5)
    assert out["restarts"]["n_starts"] == 12
    ref = descend.random_restarts("double_well", 12, optimizer="adam", lr=0.05, seed=0)
    assert out["restarts"]["best_index"] == ref.best_index


def test_minimize_lr_auto() -> None:
    out = run_json("minimize", "rosenbrock", "--lr", "auto", "--max-iter", "3000")
    ref = descend.minimize("rosenbrock", [-1.2, 1.0], lr="auto", max_iter=3000)
    assert out["fun"] == pytest.approx(ref.fun, rel=1e-9, abs=1e-15)
    assert out["lr"] == "auto"


def test_minimize_builtin_takes_its_dimension_from_x0() -> None:
    out = run_json("minimize", "sphere", "--x0", "1,2,3", "--lr", "0.1")
    assert out["variables"] == ["x1", "x2", "x3"]
    np.testing.assert_allclose(out["x"], [0, 0, 0], atol=1e-6)


@pytest.mark.parametrize(
    ("args", "size"),
    [
        (["x**2 + 3*y**2", "--x0", "3,4"], (2, "contour")),
        (["x**2", "--x0", "10"], (1, "curve")),
        (["sphere", "--x0", "1,2,3"], (3, "loss")),
    ],
)
def test_minimize_plot_writes_a_figure(tmp_path: Path, args: list[str], size: Any) -> None:
    path = tmp_path / "figure.png"
    result = run("minimize", *args, "--lr", "0.1", "--plot", str(path), "-q")
    assert result.exit_code == 0, result.output
    with Image.open(path) as im:
        assert im.size[0] > 300 and im.size[1] > 200
        assert np.asarray(im.convert("L")).std() > 10


def test_minimize_divergence_exits_1_with_its_message() -> None:
    result = run("minimize", "x**2", "--x0", "10", "--lr", "1.1")
    line = assert_one_line_error(result, 1, contains="diverged")
    assert "smaller learning rate" in line
    assert "diverged" in result.stdout  # the result table says so too
    out = run_json("minimize", "x**2", "--x0", "10", "--lr", "1.1", code=1)
    ref = descend.minimize("x**2", [10.0], lr=1.1)
    assert out["status"] == "diverged" and out["diverged_at"] == ref.diverged_at


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "contains"),
    [
        (["minimize", "rosenbrok"], "unknown function 'rosenbrok'"),
        (["minimize", "x**2", "--x0", "1", "--optimizer", "adamm"], "unknown name 'adamm'"),
        (["minimize", "x**2 +* y", "--x0", "1,2"], "position"),
        (["minimize", "x**2 + y**2", "--x0", "1"], "takes 2 (x, y)"),
        (["minimize", "himmelblau", "--x0", "1,2,3"], "takes 2 (x, y)"),
        (["minimize", "x**2", "--x0", "1", "--lr", "-0.1"], "lr=-0.1"),
        (["minimize", "x**2", "--x0", "1", "--lr", "fast"], "'fast' is not a number"),
        (["minimize", "x**2", "--x0", "a"], "'a' is not a number"),
        (["minimize", "x**2", "--x0", "1,,2"], "empty entry"),
        (["minimize", "x**2", "--x0", "1", "--schedule", "foo:k=1"], "unknown name 'foo'"),
        (["minimize", "x**2", "--x0", "1", "--schedule", "time_decay"], "needs k"),
        (["minimize", "x**2", "--x0", "1", "--schedule", "time_decay:q=1"], "no parameter 'q'"),
        (["minimize", "x**2", "--x0", "1", "--schedule", "time_decay:k"], "not KEY=VALUE"),
        (["minimize", "x**2", "--x0", "1", "--optimizer", "adam:beta9=1"], "no parameter"),
        (["minimize", "x**2", "--x0", "1", "--clip", "-1"], "--clip"),
        (["minimize", "x**2", "--x0", "1", "--max-iter", "abc"], "--max-iter"),
        (["minimize", "x**2", "--x0", "1", "--bogus"], "no such option"),
        (["minimize", "x**2", "--x0", "1", "--restarts", "3"], "--domain"),
        (["minimize", "x**2", "--x0", "1", "--plot", "figure.txt"], "extension"),
        (["minimize", "log(x)", "--x0", "-1"], "not finite at the start"),
        (["minimize"], "missing argument"),
        (["bogus"], "no such command"),
        (["fit", "missing.csv", "--target", "y"], "not found"),
        (["fit", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["fit", "--target", "colour"], "unknown target 'colour'"),
        (["fit", "--batch-size", "zero"], "--batch-size"),
        (["fit", "--lr", "-1"], "lr=-1"),
        (["fit", "--optimizer", "adamm"], "unknown name 'adamm'"),
        (["fit", "--loss", "nope"], "unknown loss"),
        (["predict", "missing.json", "data.csv"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], contains: str) -> None:
    line = assert_one_line_error(run(*args), 2, contains=contains)
    assert line.startswith("error: ")
    assert ";" in line  # what is wrong; what to do


def test_fit_csv_errors(tmp_path: Path) -> None:
    text = write_csv(
        tmp_path / "text.csv",
        ["size", "city", "price"],
        [[50, "Paris", 100], [60, "Rome", 120], [70, "Oslo", 150]],
    )
    assert_one_line_error(
        run("fit", str(text), "--target", "price"), 2, contains="column 'city' is not numeric"
    )
    assert_one_line_error(
        run("fit", str(text), "--target", "cost"), 2, contains="target column 'cost' is not in"
    )
    assert_one_line_error(run("fit", str(text)), 2, contains="size, city, price")


def test_predict_rejects_a_bad_model_file(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "x.csv", ["a"], [[1], [2]])
    for name, text in (
        ("corrupt.json", "{not json"),
        ("other.json", '{"format": "x"}'),
        ("pickle.json", "\x80\x04K."),
    ):
        path = tmp_path / name
        path.write_text(text)
        assert_one_line_error(
            run("predict", str(path), str(data)), 2, contains="not a valid descend model file"
        )


def test_fit_divergence_exits_1_and_saves_nothing(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    result = run("fit", "--no-scale", "--lr", "1", "--penalty", "none", "--out", str(model))
    assert_one_line_error(result, 1, contains="diverged")
    assert not model.exists()


# --- functions, optimizers, demo ---------------------------------------------------------------


def test_functions_lists_every_builtin() -> None:
    result = run("functions")
    assert result.exit_code == 0
    for name in FUNCTIONS:
        assert name in result.stdout
    rows = run_json("functions")
    assert [r["name"] for r in rows] == list(FUNCTIONS)
    rb = next(r for r in rows if r["name"] == "rosenbrock")
    assert rb["minima"] == [[1.0, 1.0]] and rb["formula"] == function("rosenbrock").formula


def test_optimizers_lists_rules_and_schedules() -> None:
    result = run("optimizers")
    assert result.exit_code == 0
    assert "m̂" in result.stdout and "time_decay" in result.stdout
    out = run_json("optimizers")
    assert [r["name"] for r in out["optimizers"]] == list(OPTIMIZERS)
    adam = next(r for r in out["optimizers"] if r["name"] == "adam")
    params = inspect.signature(OPTIMIZERS["adam"]).parameters
    assert adam["defaults"] == {k: p.default for k, p in params.items()}
    assert "←" in adam["formula"]
    assert {s["name"] for s in out["schedules"]} >= {"time_decay", "step_decay", "warmup"}


def test_demo_command_calls_run_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[Path, bool]] = []

    def fake(out_dir: Path, *, quiet: bool = False, console: Any = None) -> dict[str, Any]:
        calls.append((Path(out_dir), quiet))
        return {"report": Path(out_dir) / "index.html"}

    monkeypatch.setattr("descend.demo.tour.run_demo", fake)
    result = run("demo", "--out", str(tmp_path / "tour"), "-q")
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path / "tour", True)]
    assert result.stdout.strip() == str(tmp_path / "tour" / "index.html")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_one_line_error(run("demo", "--out", str(blocker)), 2, contains="is a file")


# --- fit and predict ---------------------------------------------------------------------------


def test_fit_default_is_house_prices_and_matches_the_estimator() -> None:
    out = run_json("fit", "--validation", "0")
    t = load_dataset("house_prices")
    ref = GDRegressor(random_state=0).fit(t.X, t.y)
    assert out["task"] == "regression" and out["target"] == "price_k"
    np.testing.assert_allclose(out["coef"], ref.coef_, rtol=1e-10)
    assert out["intercept"] == pytest.approx(ref.intercept_, rel=1e-10)
    assert out["metrics"]["train"]["r2"] == pytest.approx(ref.score(t.X, t.y), rel=1e-12)
    assert out["metrics"]["validation"]["rows"] == 0


def test_fit_classification_defaults_to_exam_pass() -> None:
    out = run_json("fit", "--task", "classification")
    assert out["target"] == "passed" and out["classes"] == [0, 1]
    assert 0.5 < out["metrics"]["validation"]["accuracy"] <= 1


def test_negative_start_is_a_value_not_an_option() -> None:
    out = run_json("minimize", "(1 - x)**2", "--x0", "-1.2", "--lr", "0.1")
    assert out["x0"] == [-1.2] and out["x"] == pytest.approx([1.0], abs=1e-6)


def test_fit_prints_train_and_validation_metrics() -> None:
    result = run("fit")
    assert result.exit_code == 0, result.output
    for text in ("train", "validation", "R²", "size_m2", "Coefficients"):
        assert text in result.stdout
    out = run_json("fit")
    assert out["metrics"]["train"]["rows"] == 40 and out["metrics"]["validation"]["rows"] == 10
    assert 0.9 < out["metrics"]["validation"]["r2"] <= 1


def test_fit_hours_studied_finds_the_least_squares_line() -> None:
    out = run_json(
        "fit",
        "--dataset",
        "hours_studied",
        "--penalty",
        "none",
        "--tol",
        "1e-12",
        "--epochs",
        "2000",
    )
    assert out["coef"] == pytest.approx([0.6], abs=1e-4)  # lstsq: y = 0.6x + 2.2
    assert out["intercept"] == pytest.approx(2.2, abs=1e-4)


def test_fit_classification_and_predict_round_trip(tmp_path: Path) -> None:
    t = load_dataset("iris")
    csv = write_csv(
        tmp_path / "iris.csv",
        [*t.feature_names, t.target_name],
        [[*map(float, x), label] for x, label in zip(t.X, t.y, strict=True)],
    )
    model = tmp_path / "model.json"
    result = run(
        "fit",
        str(csv),
        "--target",
        "species",
        "--validation",
        "0",
        "--out",
        str(model),
        "--optimizer",
        "adam",
        "--lr",
        "0.1",
        "--epochs",
        "300",
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout and "classification (inferred" in result.stdout
    raw = model.read_bytes()
    assert not raw.startswith(b"\x80")  # not a pickle
    doc = json.loads(raw)
    assert doc["format"] == "descend-model" and doc["classes"] == sorted(set(t.y))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.csv", "model.json"]  # no temp
    ref = GDClassifier(optimizer="adam", lr=0.1, max_epochs=300, random_state=0).fit(t.X, t.y)
    preds = tmp_path / "preds.csv"
    result = run("predict", str(model), str(csv), "--out", str(preds))
    assert result.exit_code == 0, result.output
    lines = preds.read_text().splitlines()
    assert lines[0].endswith(",species,predicted_species")
    predicted = [line.rsplit(",", 1)[1] for line in lines[1:]]
    assert predicted == list(ref.predict(t.X))
    accuracy = doc["metrics"]["train"]["accuracy"]
    assert accuracy == pytest.approx(ref.score(t.X, t.y))
    assert f"accuracy on iris.csv: {accuracy:.4g}" in result.stdout


def test_predict_regression_without_the_target_column(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    assert run("fit", "--validation", "0", "--out", str(model), "-q").exit_code == 0
    t = load_dataset("house_prices")
    csv = write_csv(tmp_path / "new.csv", list(t.feature_names), [list(x) for x in t.X[:5]])
    result = run("predict", str(model), str(csv))  # CSV on stdout
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "size_m2,bedrooms,age_years,predicted_price_k"
    got = [float(line.rsplit(",", 1)[1]) for line in lines[1:]]
    ref = GDRegressor(random_state=0).fit(t.X, t.y)
    np.testing.assert_allclose(got, ref.predict(t.X[:5]), rtol=1e-10)
    missing = write_csv(tmp_path / "short.csv", ["size_m2"], [[50]])
    assert_one_line_error(
        run("predict", str(model), str(missing)), 2, contains="'bedrooms' of the model is not in"
    )


def test_fit_plot_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = load_dataset("exam_pass")
    table = pa.table({**{n: t.X[:, j] for j, n in enumerate(t.feature_names)}, "passed": t.y})
    data = tmp_path / "exam.parquet"
    pq.write_table(table, data)
    plot = tmp_path / "loss.png"
    result = run(
        "fit",
        str(data),
        "--target",
        "passed",
        "--task",
        "classification",
        "--plot",
        str(plot),
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout
    with Image.open(plot) as im:
        assert np.asarray(im.convert("L")).std() > 10
