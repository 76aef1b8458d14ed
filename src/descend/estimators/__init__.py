"""scikit-learn estimators over the engine (the ``[sklearn]`` extra)."""

from descend.base.extras import require

require("sklearn", "sklearn", "the estimators")
