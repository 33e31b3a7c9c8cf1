"""Built-in node types, one module per category; each exports `@node(name=...)` functions."""

from . import data, ml, text, util
from . import math as math_nodes

MODULES = (data, math_nodes, text, util, ml)
