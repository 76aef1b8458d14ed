"""The demo tour: everything the articles teach, as figures and an HTML report.

It draws with matplotlib and fits with the estimators: the ``[plot]`` and ``[sklearn]`` extras.
"""

from descend.base.extras import require

require("matplotlib", "plot", "the demo")
require("sklearn", "sklearn", "the demo")
