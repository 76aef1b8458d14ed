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
    optimizer="adam", lr=descend.time_decay(0.05, 0.01), batch_size=7, max_epochs=60,
    shuffle=True, seed=3, tol=None, kernel=False,
)  # fmt: skip


def _train(src, folder, resume):
    ck = Checkpointer(folder, keep=2, chunks=1)
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


def test_killed_twenty_times_and_resumed_equals_the_uninterrupted_run(tmp_path):
    src = _data(tmp_path)
    ref = _train(src, tmp_path / "ref", resume=False)
    folder, out = tmp_path / "run", tmp_path / "theta.npy"
    rng = np.random.default_rng()
    interrupted = 0
    for _ in range(20):
        pid = _child(src, folder, out)
        time.sleep(rng.uniform(0.0, 0.06))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        interrupted += os.WIFSIGNALED(status)
        assert not out.exists(), "the run finished before it could be killed: make it longer"
    progress = Checkpointer(folder).load()
    assert progress is not None and progress[0]["n_steps"] > 0  # the kills fell mid-run
    _, status = os.waitpid(_child(src, folder, out), 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert interrupted == 20
    final = np.load(out)
    n = len(ref.theta)
    assert np.array_equal(final[:n], ref.theta)  # bit for bit
    assert np.array_equal(final[n:], ref.history.loss)
    assert len(Checkpointer(folder).saved()) <= 2
