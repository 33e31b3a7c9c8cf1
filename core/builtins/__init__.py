"""Built-in node types, one module per category; each exports `@node(name=...)` functions.

None of these modules imports pandas, scikit-learn, matplotlib or pyarrow (nor NumPy): the nodes import
them when they run, so registering the library keeps `nodeloom validate` and the editor's start fast.
"""

from . import (
    data,
    ml,
    ml_data,
    ml_eval,
    ml_features,
    ml_models,
    ml_plots,
    ml_tables,
    ml_training,
    ml_tuning,
    text,
    util,
)
from . import math as math_nodes

MODULES = (
    data,
    ml_data,
    ml_tables,
    ml_features,
    ml_models,
    ml_training,
    ml_tuning,
    ml_eval,
    ml_plots,
    math_nodes,
    text,
    util,
    ml,
)
