"""The schema of model files, checked field by field with pydantic (the ``[cli]`` extra).

Every field of :mod:`descend.io.model_files`' format is typed strictly: numbers must be JSON
numbers (``true`` or ``"1"`` is not a coefficient), finite, and of the shape the task needs;
labels are distinct strings, numbers or booleans (never objects or lists); names are non-empty
strings. :func:`problems` returns one line per problem, so a tampered or damaged file is
refused with everything that is wrong with it, not just the first thing.

>>> problems({"format": "descend-model", "version": 1, "task": "regression",
...           "loss": "squared_error", "penalty": None, "alpha": 0.0, "features": ["a"],
...           "target": "y", "classes": None, "coef": [True], "intercept": 0.0})
["'coef'[0]: Input should be a valid number"]
"""

from __future__ import annotations

import functools
import math
from typing import Any

from descend.base.extras import require
from descend.models.losses import LOSSES


@functools.cache
def _model_class() -> Any:
    """The pydantic model of a model file, built on first use (pydantic loads slowly)."""
    require("pydantic", "cli", "reading model files")
    from typing import Annotated, Literal

    from pydantic import (
        AfterValidator,
        BaseModel,
        ConfigDict,
        Field,
        StrictBool,
        StrictFloat,
        StrictInt,
        StrictStr,
        model_validator,
    )

    def finite(v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    def distinct(v: list[Any]) -> list[Any]:
        keys = [(type(x).__name__, x) for x in v]
        if len(set(keys)) != len(keys):
            raise ValueError("must not repeat a value")
        return v

    Number = Annotated[float, AfterValidator(finite)]
    Label = Annotated[
        StrictStr | StrictInt | StrictBool | StrictFloat,
        Field(description="a class label: a string, a number or a boolean"),
    ]
    Name = Annotated[str, Field(min_length=1)]

    def known_loss(v: str) -> str:
        if v not in LOSSES:
            raise ValueError(f"must be one of {', '.join(LOSSES)}")
        return v

    Loss = Annotated[str, AfterValidator(known_loss)]

    class Scaler(BaseModel):
        model_config = ConfigDict(strict=True)
        mean: list[float]
        scale: list[float]

    class ModelFile(BaseModel):
        model_config = ConfigDict(strict=True, extra="allow")
        format: Literal["descend-model"]
        version: Literal[1]
        descend_version: str | None = None
        task: Literal["regression", "classification"]
        loss: Loss
        penalty: Literal["l2", "l1", "elasticnet"] | None
        alpha: Annotated[float, Field(ge=0, allow_inf_nan=False)]
        features: Annotated[list[Name], Field(min_length=1), AfterValidator(distinct)]
        target: Name
        classes: Annotated[list[Label], AfterValidator(distinct)] | None
        coef: list[Number] | list[list[Number]]
        intercept: Number | list[Number]
        scaler: Scaler | None = None
        metrics: dict[str, Any] | None = None
        training: dict[str, Any] | None = None

        @model_validator(mode="after")
        def shapes(self) -> ModelFile:
            d = len(self.features)
            rows = self.coef if self.coef and isinstance(self.coef[0], list) else None
            if self.task == "regression":
                if rows is not None or len(self.coef) != d:
                    raise ValueError(f"regression needs 'coef' as {d} number(s), one per feature")
                if isinstance(self.intercept, list):
                    raise ValueError("regression needs 'intercept' as one number")
                return self
            if rows is None or not rows or any(len(r) != d for r in rows):
                raise ValueError(f"classification needs 'coef' as rows of {d} number(s)")
            k = len(rows)
            if not isinstance(self.intercept, list) or len(self.intercept) != k:
                raise ValueError(f"classification needs 'intercept' as {k} number(s)")
            need = 2 if k == 1 else k
            if self.classes is None or len(self.classes) != need:
                raise ValueError(f"'classes' must list {need} labels for {k} row(s) of 'coef'")
            return self

    return ModelFile


def _where(loc: tuple[Any, ...]) -> str:
    # pydantic names the branch of a union it tried ("list[float]", "function-after[...]");
    # the path in the document is what a reader needs.
    parts = [p for p in loc if isinstance(p, int) or ("[" not in p and not p.startswith("Strict"))]
    parts = [p for p in parts if p not in ("str", "int", "float", "bool")]
    if not parts:
        return "the file"
    head, *rest = parts
    return f"{head!r}" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)


def problems(doc: Any) -> list[str]:
    """One line per problem of a parsed model file against the schema; empty when valid."""
    from pydantic import ValidationError

    if not isinstance(doc, dict):
        return [f"the file must hold a JSON object, not {type(doc).__name__}"]
    try:
        _model_class().model_validate(doc)
    except ValidationError as exc:
        seen: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            where = _where(tuple(error["loc"]))
            message = str(error["msg"]).removeprefix("Value error, ")
            seen.setdefault(where, f"{where}: {message}")
        return list(seen.values())
    return []
