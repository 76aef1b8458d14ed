"""The public namespace: ``descend.__all__`` lists exactly what the package exports."""

from __future__ import annotations

import inspect
import types

import descend


def public_names() -> set[str]:
    """Names in descend's namespace that are part of its API.

    Everything not starting with ``_`` that is not a module: functions, classes and constants
    re-exported from descend's private modules.
    """
    names = set()
    for name, value in vars(descend).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        names.add(name)
    return names


def test_every_public_name_is_in_all():
    missing = public_names() - set(descend.__all__)
    assert not missing, f"public names missing from descend.__all__: {sorted(missing)}"


def test_every_name_in_all_exists():
    absent = [name for name in descend.__all__ if not hasattr(descend, name)]
    assert not absent, f"descend.__all__ names that do not exist: {absent}"


def test_all_has_no_duplicates():
    assert len(descend.__all__) == len(set(descend.__all__))


def test_exports_come_from_descend():
    """Every exported function or class is defined inside the descend package."""
    for name in descend.__all__:
        value = getattr(descend, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__module__.startswith("descend."), (name, value.__module__)


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from descend import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(descend.__all__)


def test_core_names_are_exported():
    core = {
        "minimize",
        "Result",
        "History",
        "Step",
        "Objective",
        "check_grad",
        "numeric_grad",
        "GradientTransformation",
        "chain",
        "clip",
        "clip_norm",
        "add_decayed_weights",
        "scale_by_learning_rate",
        "sgd",
        "momentum",
        "adagrad",
        "rmsprop",
        "adam",
        "adamw",
        "get_optimizer",
        "OPTIMIZERS",
        "SCHEDULES",
        "constant",
        "time_decay",
        "step_decay",
        "exponential",
        "cosine",
        "warmup",
        "DescendError",
        "HyperparameterError",
        "ShapeError",
        "UnknownNameError",
        "ExpressionError",
        "DataError",
        "MLP",
        "GDMLPRegressor",
        "GDMLPClassifier",
    }
    assert core <= set(descend.__all__)


def test_errors_share_one_base():
    for name in (
        "HyperparameterError",
        "ShapeError",
        "UnknownNameError",
        "ExpressionError",
        "DataError",
    ):
        cls = getattr(descend, name)
        assert issubclass(cls, descend.DescendError)
        assert issubclass(cls, ValueError)


def test_version():
    assert isinstance(descend.__version__, str)
    assert descend.__version__.count(".") >= 1


def test_plots_module_exports_the_figures():
    import descend.plots

    public = {
        n
        for n, v in vars(descend.plots).items()
        if n.isidentifier() and not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public - {"annotations"} == set(descend.plots.__all__)
    for name in descend.plots.__all__:
        value = getattr(descend.plots, name)
        if callable(value):
            assert value.__module__.startswith("descend.plots."), (name, value.__module__)
