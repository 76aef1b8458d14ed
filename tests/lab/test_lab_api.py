"""The lab's JSON API, through starlette's TestClient: numbers checked by hand."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the lab needs starlette: pip install 'descend[lab]'")

from starlette.testclient import TestClient

from descend.lab.app import create_app
from descend.lab.spec import Limits


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(workers=0)) as c:
        yield c


def race(client, function, x0, optimizers, steps=3, **extra):
    body = {"function": function, "x0": x0, "steps": steps, "optimizers": optimizers, **extra}
    r = client.post("/api/race", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_sgd_first_steps_by_hand(client):
    # J = x² + y², ∇J = (2x, 2y); θ₁ = (3, 4) − 0.1·(6, 8) = (2.4, 3.2), θ₂ = 0.8·θ₁
    out = race(client, "x**2 + y**2", [3, 4], [{"name": "sgd", "lr": 0.1}])
    assert out["gradient"] == ["2*x", "2*y"]
    run = out["runs"][0]
    np.testing.assert_allclose(run["x"][:3], [[3, 4], [2.4, 3.2], [1.92, 2.56]], rtol=1e-15)
    np.testing.assert_allclose(run["loss"][:2], [25, 16], rtol=1e-15)
    np.testing.assert_allclose(run["grad_norm"][:2], [10, 8], rtol=1e-15)
    first = run["steps"][0]
    assert first["t"] == 1 and first["lr"] == 0.1 and first["state"] == {}
    np.testing.assert_allclose(first["grad"], [6, 8])
    np.testing.assert_allclose(first["step"], [-0.6, -0.8])
    np.testing.assert_allclose(first["effective_lr"], [0.1, 0.1])
    np.testing.assert_allclose(first["theta_next"], [2.4, 3.2])


def test_adam_state_by_hand(client):
    # m₁ = (1 − β₁)g, v₁ = (1 − β₂)g²; m̂ = g, v̂ = g², so Δθ = −α·g/(|g| + ε)
    out = race(client, "x**2 + y**2", [3, 4], [{"name": "adam", "lr": 0.05}], steps=1)
    first = out["runs"][0]["steps"][0]
    g = np.array([6.0, 8.0])
    np.testing.assert_allclose(first["state"]["m"], 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(first["state"]["v"], 0.001 * g**2, rtol=1e-12)
    np.testing.assert_allclose(first["step"], -0.05 * g / (g + 1e-8), rtol=1e-12)


def test_momentum_buffer_by_hand(client):
    # J = x², x₀ = 1: b₁ = g₀ = 2, x₁ = 0.8; g₁ = 1.6, b₂ = 0.9·2 + 1.6 = 3.4, x₂ = 0.46
    out = race(client, "x**2", [1], [{"name": "momentum", "lr": 0.1, "beta": 0.9}], steps=2)
    run = out["runs"][0]
    assert [s["state"]["b"][0] for s in run["steps"]] == pytest.approx([2.0, 3.4], rel=1e-14)
    assert [p[0] for p in run["x"]] == pytest.approx([1.0, 0.8, 0.46], rel=1e-14)


def test_schedule_clipping_and_weight_decay(client):
    sched = {"name": "sgd", "lr": 0.1, "schedule": {"name": "exponential", "gamma": 0.5}}
    clipped = {"name": "sgd", "lr": 0.1, "clip": {"kind": "value", "max": 1.0}}
    decayed = {"name": "sgd", "lr": 0.1, "weight_decay": 0.5}
    out = race(client, "x**2 + y**2", [3, 4], [sched, clipped, decayed], steps=3)
    a, b, c = out["runs"]
    assert a["lr"] == pytest.approx([0.1, 0.05, 0.025])  # α_t = 0.1·0.5ᵗ
    np.testing.assert_allclose(b["steps"][0]["step"], [-0.1, -0.1])  # ∇J = (6, 8) clipped to 1
    np.testing.assert_allclose(c["steps"][0]["step"], [-0.1 * 7.5, -0.1 * 10])  # g + 0.5·θ


def test_divergence_is_a_status(client):
    # x_{t+1} = (1 − 2·1.5)·x_t = −2x_t: |x| doubles every step
    out = race(client, "x**2", [5], [{"name": "sgd", "lr": 1.5}], steps=100)
    run = out["runs"][0]
    assert run["status"] == "diverged" and "smaller learning rate" in run["message"]
    assert all(v is not None and math.isfinite(v) for v in run["loss"])
    assert [p[0] for p in run["x"][:4]] == [5.0, -10.0, 20.0, -40.0]


def test_builtin_function_and_surface(client):
    out = race(client, "rosenbrock", [-1.2, 1], [{"name": "adam", "lr": 0.05}], steps=5)
    assert out["builtin"] == "rosenbrock" and out["minima"] == [[1.0, 1.0]]
    s = out["surface"]
    assert len(s["x"]) == 60 and len(s["z"]) == 60 and len(s["z"][0]) == 60
    x, y = s["x"][7], s["y"][11]
    assert s["z"][11][7] == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2, rel=1e-12)


def test_same_request_same_answer(client):
    optimizers = [{"name": "rmsprop", "lr": 0.01}, {"name": "nesterov", "lr": 0.05}]
    body = {"function": "x**2 + 3*y**2", "x0": [1, 2], "steps": 20, "optimizers": optimizers}
    assert client.post("/api/race", json=body).json() == client.post("/api/race", json=body).json()


SGD = [{"name": "sgd"}]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"function": "x**2 + (y", "x0": [1, 2], "optimizers": SGD}, 400, "position 7"),
        ({"function": "x**2", "x0": [1], "steps": 10**6, "optimizers": SGD}, 400, "limit of 2000"),
        ({"function": "x**2", "x0": [1], "optimizers": [{"name": "newton"}]}, 400, "unknown opt"),
        ({"function": "x**2", "x0": [1], "optimizers": [{"name": "sgd", "lr": -1}]}, 400, "> 0"),
        ({"function": "x**2", "x0": [1, 2], "optimizers": SGD}, 400, "1 number"),
        ({"function": "log(x)", "x0": [-1], "optimizers": SGD}, 400, "not finite"),
        ({"x0": [1], "optimizers": SGD}, 400, "'function' is missing"),
        ({"function": "x**2", "x0": [1], "optimizers": SGD * 7}, 400, "limit of 6"),
    ],
)
def test_bad_requests_get_one_line(client, body, status, needle):
    r = client.post("/api/race", json=body)
    assert r.status_code == status
    message = r.json()["error"]
    assert needle in message and "\n" not in message and "Traceback" not in message


def test_expression_error_position(client):
    r = client.post("/api/race", json={"function": "x**2 + (y", "x0": [1, 2],
                                       "optimizers": [{"name": "sgd"}]})  # fmt: skip
    assert r.json()["position"] == 7  # the unclosed parenthesis


def test_body_limit_json_and_routes(client):
    r = client.post("/api/race", content=b" " * 1_000_001)
    assert r.status_code == 413 and "limit" in r.json()["error"]
    assert client.post("/api/race", content=b"{not json").status_code == 400
    assert client.get("/api/nothing").json() == {"error": "Not Found"}
    for page in ("/", "/lr", "/starts", "/train"):
        assert "descend" in client.get(page).text
    for asset in ("/static/vendor/plotly/plotly.min.js", "/static/vendor/katex/katex.min.js"):
        assert client.get(asset).status_code == 200


def test_functions_and_optimizers(client):
    import descend

    functions = {f["name"]: f for f in client.get("/api/functions").json()["functions"]}
    assert len(functions["himmelblau"]["minima"]) == 4 and functions["double_well"]["n"] == 1
    opts = client.get("/api/optimizers").json()
    assert [o["name"] for o in opts["optimizers"]] == list(descend.OPTIMIZERS)
    assert opts["optimizers"][0]["hyperparameters"] == {"lr": 0.01}


def test_restarts_find_himmelblaus_minima(client):
    # Himmelblau's four minima: (3, 2) exactly, the others to the precision given here
    known = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186],
                      [3.584428, -1.848126]])  # fmt: skip
    body = {"function": "himmelblau", "n_starts": 24, "steps": 1000, "seed": 1,
            "optimizer": {"name": "adam", "lr": 0.05}}  # fmt: skip
    out = client.post("/api/starts", json=body).json()
    assert len(out["runs"]) == 24
    for run in out["runs"]:
        assert run["path"][0] == run["start"]
        if run["status"] == "converged":  # the drawn path ends where the restart ended
            np.testing.assert_allclose(run["path"][-1], run["end"], atol=1e-6)
    assert sum(f["count"] for f in out["found"]) == 24
    for f in out["found"]:
        assert np.min(np.linalg.norm(known - f["x"], axis=1)) < 0.01
        assert 0 <= f["fun"] < 1e-5  # J = 0 at every minimum of Himmelblau


def test_annealing_reaches_the_global_minimum(client):
    # x⁴ − 3x² + x: critical points are the roots of 4x³ − 6x + 1
    roots = np.sort(np.roots([4, 0, -6, 1]).real)
    body = {"function": "double_well", "method": "annealing", "n_starts": 6, "steps": 1000,
            "seed": 3, "annealing": {"lr": 0.01, "temperature": 2.0, "noise": 0.5}}  # fmt: skip
    out = client.post("/api/starts", json=body).json()
    assert out["best"]["x"][0] == pytest.approx(roots[0], abs=0.05)


def events(response):
    return [
        json.loads(line[6:]) for line in response.text.split("\n\n") if line.startswith("data: ")
    ]


def test_train_batch_reaches_least_squares(client):
    body = {"dataset": "hours_studied", "model": "linear", "epochs": 200, "modes": ["batch"],
            "optimizer": {"name": "sgd", "lr": 0.5}}  # fmt: skip
    r = client.post("/api/train", json=body)
    assert r.headers["content-type"].startswith("text/event-stream")
    ev = events(r)
    assert ev[0]["event"] == "start" and ev[-1]["event"] == "end"
    epochs = [e for e in ev if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == list(range(201))
    x = np.array(ev[0]["view"]["x"])
    # least squares on the seeds' data: y = 0.6x + 2.2 (standardising does not move the line)
    np.testing.assert_allclose(epochs[-1]["drawn"], 0.6 * x + 2.2, rtol=1e-9)
    assert ev[-1]["runs"][0]["status"] == "max_epochs"


def test_train_three_modes_and_classifier(client):
    body = {"dataset": "exam_pass", "model": "logistic", "epochs": 5, "batch_size": 10,
            "optimizer": {"name": "adam", "lr": 0.1}}  # fmt: skip
    ev = events(client.post("/api/train", json=body))
    epochs = [e for e in ev if e["event"] == "epoch"]
    assert sorted({e["mode"] for e in epochs}) == [0, 1, 2] and len(epochs) == 3 * 6
    assert [m["batch_size"] for m in ev[0]["modes"]] == ["full", 1, 10]
    assert all(0 <= e["accuracy"] <= 1 for e in epochs)
    assert np.array(epochs[-1]["drawn"]).shape == (25, 25)


def test_train_upload_and_caps():
    csv = "a,b,label\n1,2,0\n2,1,1\n3,4,0\n4,3,1\n"
    with TestClient(create_app(workers=0, limits=Limits(max_rows=3))) as c:
        r = c.post("/api/train", json={"csv": csv, "target": "label", "model": "logistic"})
        assert r.status_code == 400 and "at most 3" in r.json()["error"]
        r = c.post("/api/train", json={"csv": csv, "target": "nope"})
        assert r.status_code == 400 and "nope" in r.json()["error"]
    with TestClient(create_app(workers=0)) as c:
        ev = events(c.post("/api/train", json={"csv": csv, "target": "label", "epochs": 2,
                                               "model": "svm", "batch_size": 2}))  # fmt: skip
        assert ev[0]["features"] == ["a", "b"] and ev[-1]["event"] == "end"


def test_a_slow_expression_is_stopped_and_its_worker_replaced():
    hostile = "tanh(sinh((-(1/z-100)**1000)**z))"
    with TestClient(create_app(workers=1, limits=Limits(time_limit=2.0))) as c:
        r = c.post("/api/race", json={"function": hostile, "x0": [1],
                                      "optimizers": [{"name": "sgd"}]})  # fmt: skip
        # the parser's own time bound (1.5 s) or the lab's worker limit, whichever comes first
        error = r.json()["error"]
        assert r.status_code == 400 and ("more than 1.5 s" in error or "longer than 2 s" in error)
        out = race(c, "x**2 + y**2", [3, 4], [{"name": "sgd", "lr": 0.1}], steps=1)
        assert out["runs"][0]["x"][1] == [2.4, 3.2]


def test_descend_help_does_not_load_the_web_stack():
    code = (
        "import sys, descend.main; "
        "print(any(m.split('.')[0] in ('starlette', 'uvicorn') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lab_command_is_registered():
    from typer.testing import CliRunner

    from descend.main import app

    result = CliRunner().invoke(app, ["lab", "--help"], prog_name="descend")
    assert result.exit_code == 0
    assert "--no-browser" in result.output and "--port" in result.output


def test_lab_command_reports_a_busy_port_in_one_line():
    import socket

    from typer.testing import CliRunner

    from descend.main import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["lab", "--no-browser", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_python_api_and_vendored_assets():
    from importlib.resources import files

    import descend.lab

    assert descend.lab.create_app is create_app and callable(descend.lab.serve)
    vendor = files("descend.lab").joinpath("static", "vendor")
    for package, asset in (("plotly", "plotly.min.js"), ("katex", "katex.min.js")):
        licence = vendor.joinpath(package, "LICENSE").read_text()
        assert licence.startswith(("The MIT License", "MIT License"))
        assert vendor.joinpath(package, asset).is_file()
