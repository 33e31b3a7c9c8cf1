"""Port types: short names for what flows along an edge, and which connections make sense.

A port type is a string. Well-known names (`int`, `float`, `str`, `bool`, `list`, `dict`, `path`, `any`)
come from plain Python hints; any other class becomes its dotted name (`numpy.ndarray`). Connections are
permissive where Python is (an int feeds a float, anything feeds `any`, a `path` is a `str`) and refuse
the rest, so the editor can reject a wire with a reason before a run ever fails.
"""

from __future__ import annotations

import collections.abc
import pathlib
import types
import typing
from typing import Any

ANY = "any"

# Data-science values, named by role so the editor can refuse a model wired into a table port. They are
# plain names: reading them never imports pandas, scikit-learn or matplotlib (that would make every CLI
# start slow); a hint naming one of those classes maps onto them through `_CLASS_NAMES`.
TABLE = "table"  # pandas.DataFrame
SERIES = "series"  # pandas.Series (a target column, predictions)
MODEL = "model"  # a scikit-learn estimator, fitted or not
TRANSFORMER = "transformer"  # a fitted scikit-learn transformer (scaler, encoder, ...): apply it later
FIGURE = "figure"  # a matplotlib Figure
_CLASS_NAMES: dict[str, str] = {
    "pandas.core.frame.DataFrame": TABLE,
    "pandas.DataFrame": TABLE,
    "pandas.core.series.Series": SERIES,
    "pandas.Series": SERIES,
    "sklearn.base.BaseEstimator": MODEL,
    "matplotlib.figure.Figure": FIGURE,
}

_BUILTIN_NAMES: dict[Any, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    list: "list",
    tuple: "list",
    dict: "dict",
    bytes: "bytes",
    pathlib.Path: "path",
    pathlib.PurePath: "path",
    collections.abc.Sequence: "list",
    collections.abc.Mapping: "dict",
    typing.Any: ANY,
    object: ANY,
}

# out type -> in types it may feed besides itself and `any`
_WIDENINGS: dict[str, frozenset[str]] = {
    "int": frozenset({"float"}),
    "bool": frozenset({"int", "float"}),
    "path": frozenset({"str"}),
    "str": frozenset({"path"}),
    TRANSFORMER: frozenset({MODEL}),  # a fitted transformer is an estimator: save it, put it in a pipeline
    "numpy.ndarray": frozenset({TABLE, SERIES}),  # table/series inputs take arrays (columns x0, x1, ...)
}

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "path": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}


def type_name(hint: Any) -> str:
    """The port type name of a type hint; unknown or missing hints are `any`."""
    if hint is None or hint is type(None) or hint is typing.Any:
        return ANY
    if isinstance(hint, str):
        return hint if hint else ANY
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return type_name(typing.get_args(hint)[0])
    if origin is typing.Literal:
        values = typing.get_args(hint)
        kinds = {type_name(type(v)) for v in values}
        return kinds.pop() if len(kinds) == 1 else ANY
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        names = {type_name(a) for a in args}
        return names.pop() if len(names) == 1 else ANY
    if origin is not None:
        return type_name(origin)
    try:
        hash(hint)
    except TypeError:  # an annotation that is not a type at all (a list, a dict): no type to check
        return ANY
    if hint in _BUILTIN_NAMES:
        return _BUILTIN_NAMES[hint]
    if isinstance(hint, type):
        module = hint.__module__
        dotted = hint.__qualname__ if module == "builtins" else f"{module}.{hint.__qualname__}"
        return _CLASS_NAMES.get(dotted, dotted)
    return ANY


def literal_choices(hint: Any) -> tuple[Any, ...] | None:
    """The allowed values of a `Literal[...]` hint (also inside Optional/Annotated), else None."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return typing.get_args(hint)
    if origin is typing.Annotated:
        return literal_choices(typing.get_args(hint)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            found = literal_choices(arg)
            if found:
                return found
    return None


def compatible(out_type: str, in_type: str) -> bool:
    """Whether a value of `out_type` may flow into a port of `in_type`."""
    if out_type in (in_type, ANY) or in_type == ANY:
        return True
    return in_type in _WIDENINGS.get(out_type, frozenset())


def json_value_fits(value: Any, port_type: str) -> bool:
    """Whether a JSON literal is acceptable for a port (only checked for the JSON-shaped types)."""
    kinds = JSON_TYPES.get(port_type)
    if kinds is None:
        return True
    if isinstance(value, bool) and port_type in ("int", "float"):
        return False
    return isinstance(value, kinds)
