"""Checkpoints survive SIGKILL: a fit killed at 20 random moments and resumed each time ends
with the uninterrupted run's θ, bit for bit."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import descend
import descend.stream
from descend.engine.checkpoint import Checkpointer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _data(folder):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(240, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.normal(size=240) > 0).astype(float)
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    pq.write_table(table, folder / "data.parquet", row_group_size=50)
    return descend.stream.source(folder / "data.parquet", "y", chunk_rows=20, shuffle_buffer=64)


SETTINGS = dict(
    optimizer="adam", lr=descend.time_decay(0.05, 0.01), batch_size=7, max_epochs=20,
    shuffle=True, seed=3, tol=None, kernel=False,
)  # fmt: skip


def _train(src, folder, resume):
    ck = Checkpointer(folder, keep=2, chunks=2)
    model = descend.logistic_regression(3, penalty="l2", alpha=1e-3)
    return descend.fit(model, src, checkpoint=ck, resume=resume, **SETTINGS)


def _child(src, folder, out):
    """Run (or resume) the fit in a forked child; write θ when it completes."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            r = _train(src, folder, resume=True)
            np.save(out, np.concatenate([r.theta, r.history.loss]))
            code = 0
        finally:
            os._exit(code)
    return pid


def _latest_step(folder):
    saved = Checkpointer(folder).saved()
    return int(saved[-1].stem.split("-")[1]) if saved else -1


def test_killed_twenty_times_and_resumed_equals_the_uninterrupted_run(tmp_path):
    src = _data(tmp_path)
    ref = _train(src, tmp_path / "ref", resume=False)
    folder, out = tmp_path / "run", tmp_path / "theta.npy"
    rng = np.random.default_rng()
    seen = []
    for _ in range(20):
        before = _latest_step(folder)
        pid = _child(src, folder, out)
        deadline = time.monotonic() + 30
        while _latest_step(folder) <= before and time.monotonic() < deadline:
            time.sleep(0.001)  # the resumed child has saved a new checkpoint: it is mid-run
        time.sleep(rng.uniform(0.0, 0.01))  # then a random moment: computing, writing, ...
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), "the run finished before it could be killed"
        seen.append(_latest_step(folder))
    assert seen == sorted(seen) and seen[0] < seen[-1] < ref.n_steps  # progress, not finished
    _, status = os.waitpid(_child(src, folder, out), 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    final = np.load(out)
    n = len(ref.theta)
    assert np.array_equal(final[:n], ref.theta)  # bit for bit
    assert np.array_equal(final[n:], ref.history.loss)
    assert len(Checkpointer(folder).saved()) <= 2


class _Stop(Exception):
    pass


def test_a_run_stopped_mid_epoch_resumes_its_running_loss(tmp_path):
    """monitor="running" keeps the epoch's running sums in the mid-epoch checkpoint: a run
    stopped in its second epoch and resumed has the uninterrupted run's losses, bit for bit."""
    src = _data(tmp_path)
    settings = {**SETTINGS, "max_epochs": 3, "monitor": "running"}
    model = descend.logistic_regression(3, penalty="l2", alpha=1e-3)
    ref = descend.fit(model, src, **settings)
    stopping = _data(tmp_path)
    plain_chunks, count = stopping.chunks, [0]

    def chunks(order=None, *, raw=False):
        for chunk in plain_chunks(order, raw=raw):
            count[0] += 1
            if count[0] == 21:  # in the second epoch (14 chunks each), after a checkpoint
                raise _Stop
            yield chunk

    stopping.chunks = chunks
    folder = tmp_path / "run"
    with pytest.raises(_Stop):
        descend.fit(model, stopping, checkpoint=Checkpointer(folder, chunks=2), **settings)
    resumed = descend.fit(model, src, checkpoint=Checkpointer(folder, chunks=2), resume=True,
                          **settings)  # fmt: skip
    assert np.array_equal(resumed.theta, ref.theta)
    assert np.array_equal(resumed.history.loss, ref.history.loss, equal_nan=True)
    assert np.isfinite(ref.history.loss[1:]).all()
