"""What a new user meets on the command line: --version, flags, formulas, JSON, predict, CSV.

Expected values are closed forms worked out by hand in each test, or arithmetic on the model
file done here, never the CLI's own output read back.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from descend.main import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def ok_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_line_error(result: Any, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- the command line itself ------------------------------------------------------------------


def test_version_is_the_installed_distribution_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"descend {importlib.metadata.version('descend')}"


@pytest.mark.parametrize("command", [[], ["minimize"], ["fit"], ["predict"], ["functions"]])
def test_flags_show_no_bool_type(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


# --- formulas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("before", [True, False])
def test_a_formula_starting_with_minus_is_the_function(before: bool) -> None:
    # f = −x² + y²: x ← x − 0.1·(−2x) = 1.2x, y ← y − 0.1·2y = 0.8y
    options = ["--x0", "1,1", "--lr", "0.1", "--max-iter", "3", "--tol", "0", "--history"]
    args = [*options, "-x**2 + y**2"] if before else ["-x**2 + y**2", *options]
    out = ok_json("minimize", *args)
    t = np.arange(4)[:, None]
    np.testing.assert_allclose(out["history"]["x"], np.hstack([1.2**t, 0.8**t]), rtol=1e-12)


def test_a_bare_variable_is_a_formula() -> None:
    # f(x) = x: f′ = 1, so x ← x − 0.5 each step
    out = ok_json(
        "minimize", "x", "--x0", "2", "--lr", "0.5", "--max-iter", "3", "--tol", "0", "--history"
    )
    assert out["gradient_formulas"] == ["1"]
    np.testing.assert_allclose(np.ravel(out["history"]["x"]), [2.0, 1.5, 1.0, 0.5])


def test_a_long_unknown_name_is_still_an_error_with_a_hint() -> None:
    line = one_line_error(run("minimize", "rosenbrok"))
    assert "did you mean 'rosenbrock'" in line


# --- JSON -------------------------------------------------------------------------------------


def test_json_is_a_summary_and_lr_is_the_rate_used() -> None:
    summary = run("minimize", "x**2", "--x0", "10", "--max-iter", "100", "--json")
    d = json.loads(summary.stdout)
    assert "history" not in d and len(summary.stdout) < 2000
    full = ok_json("minimize", "x**2", "--x0", "10", "--max-iter", "100", "--history")
    xs = np.ravel(full["history"]["x"])
    # x₁ = x₀ − α·2x₀, so the rate used is (x₀ − x₁) / (2x₀), read from the path
    assert d["lr"] == pytest.approx((xs[0] - xs[1]) / (2 * xs[0]), rel=1e-12)
    assert len(full["history"]["x"]) == full["nit"] + 1


def test_history_needs_json() -> None:
    assert "--history goes with --json" in one_line_error(run("minimize", "x**2", "--history"))


# --- divergence: one step count, no repeated words --------------------------------------------


def test_divergence_counts_steps_as_the_trace_does() -> None:
    # α = 1.1 on x² from 10: x_t = 10·(−1.2)ᵗ, f_t = 100·1.44ᵗ; the run stops at the first t
    # with f_t > f₀ + 10¹²·(1 + f₀) and keeps the t − 1 steps before it.
    t = 1
    while 100 * 1.44**t <= 100 + 1e12 * 101:
        t += 1
    result = run("minimize", "x**2", "--x0", "10", "--lr", "1.1", "--log-every", "1")
    line = one_line_error(result, code=1)
    assert line.startswith(f"diverged after {t - 1} steps:")
    assert line.count("diverged") == 1
    rows = [
        r for r in result.stdout.splitlines() if r.startswith("│") and r[1:].strip()[:1].isdigit()
    ]
    assert rows[-1].split("│")[1].strip() == str(t - 1)  # the trace's last step


def test_fit_status_says_each_word_once() -> None:
    result = run("fit", "--dataset", "hours_studied")
    assert result.exit_code == 0, result.output
    status = next(r for r in result.stdout.splitlines() if r.startswith("status:"))
    assert status.count("converged") == 1 and "converged:" not in status


# --- data files -------------------------------------------------------------------------------


def linear_rows(n: int = 8) -> list[tuple[int, str, float, float]]:
    """(id, name, x, y) with y = 2x + 1 exactly."""
    return [(100 + i, f"row{i}", 0.5 * i, 2 * (0.5 * i) + 1) for i in range(n)]


def test_a_semicolon_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("x;y\n" + "".join(f"{x};{y}\n" for _, _, x, y in linear_rows()))
    model = tmp_path / "m.json"
    result = run(
        "fit",
        str(path),
        "--target",
        "y",
        "--validation",
        "0",
        "--penalty",
        "none",
        "--out",
        str(model),
        "-q",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(model.read_text())
    np.testing.assert_allclose(doc["coef"], [2.0], rtol=1e-3)  # y = 2x + 1
    assert doc["intercept"] == pytest.approx(1.0, rel=1e-3)


def test_a_text_feature_names_the_cli_option(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("name,x,y\n" + "".join(f"{n},{x},{y}\n" for _, n, x, y in linear_rows()))
    line = one_line_error(run("fit", str(path), "--target", "y"))
    assert "--features" in line and "'name'" in line


def test_hinge_on_a_continuous_target_is_descends_own_message() -> None:
    line = one_line_error(run("fit", "--dataset", "house_prices", "--loss", "hinge"))
    assert "continuous values" in line and "--loss hinge" in line
    assert "Unknown label type" not in line


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_predict_keeps_every_column_as_written(tmp_path: Path) -> None:
    rows = linear_rows()
    train = tmp_path / "train.csv"
    train.write_text("x,y\n" + "".join(f"{x},{y}\n" for _, _, x, y in rows))
    model = tmp_path / "m.json"
    assert (
        run(
            "fit", str(train), "--target", "y", "--validation", "0", "--out", str(model), "-q"
        ).exit_code
        == 0
    )
    new = tmp_path / "new.csv"
    new.write_text("id,name,x\n" + "".join(f"{i},{n},{x}\n" for i, n, x, _ in rows))
    result = run("predict", str(model), str(new))
    assert result.exit_code == 0, result.output
    out = read_csv(result.stdout)
    assert list(out[0]) == ["id", "name", "x", "predicted_y"]
    doc = json.loads(model.read_text())
    for row, (i, name, x, _) in zip(out, rows, strict=True):
        assert row["id"] == str(i) and row["name"] == name  # integers stay integers
        assert float(row["x"]) == x
        expected = doc["intercept"] + doc["coef"][0] * x  # the linear model by hand
        assert float(row["predicted_y"]) == pytest.approx(expected, rel=1e-12)


def test_predict_proba_is_the_logistic_of_the_score(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    labels = ["no", "no", "no", "yes", "no", "yes", "yes", "yes"]
    train.write_text("x,passed\n" + "".join(f"{x},{c}\n" for x, c in zip(xs, labels, strict=True)))
    model = tmp_path / "c.json"
    assert (
        run(
            "fit", str(train), "--target", "passed", "--validation", "0", "--out", str(model), "-q"
        ).exit_code
        == 0
    )
    new = tmp_path / "new.csv"
    new.write_text("student,x\n" + "".join(f"s{k},{x}\n" for k, x in enumerate(xs)))
    result = run("predict", str(model), str(new), "--proba")
    assert result.exit_code == 0, result.output
    out = read_csv(result.stdout)
    assert list(out[0]) == ["student", "x", "predicted_passed", "proba_no", "proba_yes"]
    doc = json.loads(model.read_text())
    for row, x in zip(out, xs, strict=True):
        z = doc["intercept"][0] + doc["coef"][0][0] * x
        p = 1 / (1 + math.exp(-z))  # σ(z) = P(classes[1])
        assert float(row["proba_yes"]) == pytest.approx(p, rel=1e-9)
        assert float(row["proba_no"]) == pytest.approx(1 - p, rel=1e-9)
        assert row["predicted_passed"] == ("yes" if z > 0 else "no")


def test_predict_proba_of_a_regression_model_is_one_line(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("x,y\n" + "".join(f"{x},{y}\n" for _, _, x, y in linear_rows()))
    model = tmp_path / "m.json"
    run("fit", str(train), "--target", "y", "--validation", "0", "--out", str(model), "-q")
    line = one_line_error(run("predict", str(model), str(train), "--proba"))
    assert "--proba" in line and "regression" in line


def test_help_paragraphs_are_wrapped_by_the_terminal_not_by_the_docstring() -> None:
    import re

    import typer

    from descend.cli.app import _plain_flags

    group = typer.main.get_command(app)
    _plain_flags(group)  # type: ignore[arg-type]
    for command in [group, *group.commands.values()]:  # type: ignore[attr-defined]
        assert not re.search(r"(?<!\n)\n(?!\n)", command.help or ""), command.name


@pytest.mark.parametrize("formula", ["e", "pi", "3", "2*pi"])
def test_a_constant_is_not_minimized(formula: str) -> None:
    assert "is a constant" in one_line_error(run("minimize", formula))


def test_only_the_minimize_argument_is_read_as_a_formula(tmp_path: Path) -> None:
    # "minimize" as another command's value: the options after it stay options
    path = tmp_path / "d.csv"
    path.write_text("minimize,x\n" + "".join(f"{2 * x + 1},{x}\n" for x in range(6)))
    result = run("fit", str(path), "--target", "minimize", "-q", "--validation", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("train loss")
