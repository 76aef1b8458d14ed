"""Figures of a network's per-layer gradient norms: the lines drawn are the recorded norms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from descend import MLP, DescendError, ShapeError, fit, linear_regression
from descend.plots import plot_layer_grad_norms, plot_layer_profile, save_figure

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 2))
Y = (X[:, 0] * X[:, 1] > 0).astype(float)


@pytest.fixture(scope="module")
def run():
    net = MLP(2, (4, 4), 1, "sigmoid", "log_loss")
    return net, fit(net, X, Y, lr=0.5, max_epochs=6, tol=None)


def test_one_line_per_layer_on_a_log_axis(run, tmp_path):
    net, result = run
    fig = plot_layer_grad_norms(result)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 3
    first = net.layer_grad_norms(net.gradient(net.init_params(), X, Y))
    for layer, line in enumerate(ax.lines):
        np.testing.assert_allclose(line.get_ydata()[0], first[layer])
        assert len(line.get_xdata()) == 7
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["layer 1 (input)", "layer 2", "layer 3 (output)"]
    assert save_figure(fig, tmp_path / "norms.png").stat().st_size > 1000


def test_panels_share_the_y_axis_and_zero_norms_leave_gaps(run):
    _, result = run
    norms = np.array([[1.0, 0.0], [0.5, 2.0]])
    fig = plot_layer_grad_norms([result, norms], titles=["a", "b"])
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
    assert np.isnan(fig.axes[1].lines[1].get_ydata()[0])


def test_profile_draws_one_epoch_across_the_layers(run):
    _, result = run
    fig = plot_layer_profile([result, result.history], labels=["θ₀", "end"], epoch=-1)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), result.history.layer_grad_norms[-1])
    with pytest.raises(ShapeError, match="epoch=9"):
        plot_layer_profile(result, epoch=9)


def test_a_linear_fit_has_no_layer_norms_to_plot():
    result = fit(linear_regression(2), X, Y, max_epochs=2)
    with pytest.raises(DescendError, match="no per-layer gradient norms"):
        plot_layer_grad_norms(result)
    with pytest.raises(ShapeError, match="1 titles for 2 runs"):
        plot_layer_grad_norms([np.ones((2, 2))] * 2, titles=["x"])
