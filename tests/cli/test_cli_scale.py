"""``descend fit --stream / --checkpoint / --resume``: the numbers equal the library's, bad
input is one line (the cluster case, --scheduler, is in tests/dist)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import descend
from descend.main import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 2)) * [1.0, 4.0]
    y = X @ [1.5, -0.5] + 2.0 + 0.1 * rng.normal(size=900)
    for i in range(3):
        part = slice(300 * i, 300 * (i + 1))
        table = pa.table({"a": X[part, 0], "b": X[part, 1], "y": y[part]})
        pq.write_table(table, tmp_path / f"part{i}.parquet", row_group_size=128)
    return tmp_path, X, y


def fit_json(*args):
    result = runner.invoke(app, ["fit", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stream_equals_the_in_memory_estimator(files):
    folder, X, y = files
    doc = fit_json(str(folder / "part*.parquet"), "--target", "y", "--stream", "--epochs", "40")
    ref = descend.GDRegressor(max_epochs=40, random_state=0).fit(X, y)
    np.testing.assert_allclose(doc["coef"], ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(doc["intercept"], ref.intercept_, rtol=1e-8)
    assert doc["metrics"]["train"]["rows"] == 900
    r2 = 1 - ((y - ref.predict(X)) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    np.testing.assert_allclose(doc["metrics"]["train"]["r2"], r2, rtol=1e-9)


def test_checkpoint_then_resume_equals_one_run(files, tmp_path):
    folder = files[0]
    common = [str(folder), "--target", "y", "--batch-size", "32", "--optimizer", "adam",
              "--lr", "0.01", "--tol", "0"]  # fmt: skip
    fit_json(*common, "--epochs", "3", "--checkpoint", str(tmp_path / "a"))
    resumed = fit_json(*common, "--epochs", "6", "--checkpoint", str(tmp_path / "a"), "--resume")
    straight = fit_json(*common, "--epochs", "6", "--checkpoint", str(tmp_path / "b"))
    assert resumed["coef"] == straight["coef"] and resumed["intercept"] == straight["intercept"]
    assert resumed["training"]["epochs"] == 6


def test_bad_input_is_one_line(files, tmp_path):
    folder = files[0]
    ck = str(tmp_path / "ck")
    assert runner.invoke(app, ["fit", str(folder), "--target", "y", "--checkpoint", ck,
                               "--epochs", "2"]).exit_code == 0  # fmt: skip
    other = runner.invoke(app, ["fit", str(folder), "--target", "y", "--checkpoint", ck,
                                "--resume", "--lr", "0.5"])  # fmt: skip
    assert other.exit_code == 2
    assert "another configuration" in other.stderr and len(other.stderr.splitlines()) == 1
    again = runner.invoke(app, ["fit", str(folder), "--target", "y", "--checkpoint", ck])
    assert again.exit_code == 2 and "--resume" in again.stderr
    missing = runner.invoke(app, ["fit", "--stream"])
    assert missing.exit_code == 2 and "need a data file" in missing.stderr
    no_target = runner.invoke(app, ["fit", str(folder), "--stream"])
    assert no_target.exit_code == 2 and "--target" in no_target.stderr
