"""Checkpoints of fit: files (JSON + .npz, no pickle, last N kept), resumption equal to an
uninterrupted run, and refusal to resume onto other data or settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descend
from descend.engine.checkpoint import (
    Checkpointer,
    flatten_state,
    pack_state,
    unpack_state,
)


def _data(m=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 4))
    return X, X @ [1.0, -1.0, 2.0, 0.5] + 0.1 * rng.normal(size=m)


MODEL = descend.linear_regression(4, penalty="l2", alpha=0.01)


@pytest.mark.parametrize("batch_size", ["full", 1, 16])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("monitor", ["full", "running"])
def test_checkpointed_fit_equals_the_plain_fit_and_resumes_exactly(
    tmp_path, batch_size, optimizer, monitor
):
    X, y = _data()
    kw = dict(optimizer=optimizer, lr=0.01, batch_size=batch_size, shuffle=True, seed=4, tol=None,
              monitor=monitor)  # fmt: skip
    plain = descend.fit(MODEL, X, y, max_epochs=12, **kw)
    first = descend.fit(MODEL, X, y, max_epochs=5, checkpoint=tmp_path, **kw)
    second = descend.fit(MODEL, X, y, max_epochs=12, checkpoint=tmp_path, resume=True, **kw)
    assert first.n_epochs == 5
    assert np.array_equal(second.theta, plain.theta)
    assert np.array_equal(second.history.loss, plain.history.loss, equal_nan=True)
    assert np.array_equal(second.history.grad_norm, plain.history.grad_norm, equal_nan=True)
    assert second.n_steps == plain.n_steps
    assert second.status == plain.status == "max_epochs"


def test_files_are_json_and_npz_and_the_last_n_are_kept(tmp_path):
    X, y = _data()
    ck = Checkpointer(tmp_path, keep=2, every=3)
    descend.fit(MODEL, X, y, optimizer="adam", batch_size=32, max_epochs=10, tol=None,
                seed=0, checkpoint=ck)  # fmt: skip
    saved = ck.saved()
    assert [p.name for p in saved] == ["ckpt-000090.json", "ckpt-000100.json"]  # 10 steps/epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in saved] + [p.with_suffix(".npz").name for p in saved]
    )
    meta = json.loads(saved[-1].read_text())
    assert meta["format"] == "descend-checkpoint/1"
    assert meta["epoch"] == 10 and meta["n_steps"] == 100
    assert set(meta["rng"]) >= {"bit_generator", "state"}
    with np.load(saved[-1].with_suffix(".npz"), allow_pickle=False) as npz:
        assert "theta" in npz.files


def test_optimizer_state_round_trips_through_the_packed_form():
    opt = descend.adam(0.1)
    theta = np.array([1.0, -2.0])
    state = opt.init(theta)
    for _ in range(3):
        _, state = opt.update(np.array([0.5, 0.25]), state, theta)
    leaves, arrays = pack_state(state)
    json.dumps(leaves)  # plain JSON
    back = unpack_state(opt.init(theta), leaves, arrays)
    assert type(back) is type(state)
    for a, b in zip(flatten_state(back), flatten_state(state), strict=True):
        assert np.array_equal(a, b)


def test_resume_onto_other_data_or_settings_is_refused(tmp_path):
    X, y = _data()
    descend.fit(MODEL, X, y, batch_size=16, max_epochs=2, seed=0, checkpoint=tmp_path)
    with pytest.raises(descend.DataError, match="made on other data than this run"):
        descend.fit(MODEL, X[:-1], y[:-1], batch_size=16, seed=0, checkpoint=tmp_path,
                    resume=True)  # fmt: skip
    with pytest.raises(descend.DataError, match="another configuration"):
        descend.fit(MODEL, X, y, batch_size=16, lr=0.02, seed=0, checkpoint=tmp_path,
                    resume=True)  # fmt: skip
    with pytest.raises(descend.DataError, match="already holds a run; pass resume=True"):
        descend.fit(MODEL, X, y, batch_size=16, seed=0, checkpoint=tmp_path)


def test_a_finished_run_resumes_to_the_same_result(tmp_path):
    X, y = _data()
    kw = dict(optimizer="adam", lr=0.05, batch_size=32, seed=1, checkpoint=tmp_path)
    done = descend.fit(MODEL, X, y, **kw)
    again = descend.fit(MODEL, X, y, resume=True, **kw)
    assert done.status == again.status == "converged"
    assert np.array_equal(done.theta, again.theta) and again.n_epochs == done.n_epochs


def test_bad_checkpoint_arguments(tmp_path):
    X, y = _data()
    with pytest.raises(descend.HyperparameterError, match="resume=True needs checkpoint"):
        descend.fit(MODEL, X, y, resume=True)
    with pytest.raises(descend.HyperparameterError, match="keep=0"):
        Checkpointer(tmp_path, keep=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(descend.DataError, match="is a file"):
        descend.fit(MODEL, X, y, checkpoint=tmp_path / "file")


def test_long_minimize_runs_resume_to_the_same_path(tmp_path):
    from descend.engine.resumable import minimize_resumable

    f = "(1 - x)**2 + 100*(y - x**2)**2"
    lr = descend.exponential(0.05, 0.999)
    whole = descend.minimize(f, [-1.2, 1.0], optimizer="adam", lr=lr, tol=0, max_iter=700,
                             engine="numpy")  # fmt: skip
    kw = dict(optimizer="adam", lr=lr, tol=0, checkpoint=tmp_path, checkpoint_every=50)
    minimize_resumable(f, [-1.2, 1.0], max_iter=320, **kw)  # the last checkpoint: step 300
    assert Checkpointer(tmp_path).load()[0]["n_steps"] == 300
    r = minimize_resumable(f, [-1.2, 1.0], max_iter=700, resume=True, **kw)
    assert r.nit == 700 and np.array_equal(r.x, whole.x)
    assert np.array_equal(r.history.x, whole.history.x)
    np.testing.assert_array_equal(r.history.fun, whole.history.fun)
    with pytest.raises(descend.DataError, match="another configuration"):
        minimize_resumable(f, [-1.2, 1.0], max_iter=700, resume=True,
                           **{**kw, "optimizer": "sgd"})  # fmt: skip
