"""Shared plumbing of the AI node library: typed node declarations, value coercion, atomic file output.

Why this exists: the library's ports carry pandas, scikit-learn and matplotlib values, but registering
the library must import none of them (that alone costs a second, and `nodeloom validate` must stay
fast). So port types are declared by name (`table`, `model`, ...) through `ml_node` rather than read from
annotations, and every node imports its libraries inside its body. The coercions here let a node accept
what a user is likely to wire in (a NumPy array, a list of row dicts, a one-column frame as a target)
and fail with one line naming the input when it cannot.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..atomic import atomic_path
from ..decorator import node
from ..port_types import FIGURE, MODEL, SERIES, TABLE, TRANSFORMER

# What the library's nodes import first, about 1.7 s here. A long-lived fork server (the editor's) may
# import these once so every worker process forks with them loaded; they are installed libraries, not
# the user's code, so preloading them never hides an edit.
WORKER_PRELOAD = ("pandas", "sklearn.base", "sklearn.model_selection")

__all__ = [
    "FIGURE",
    "MODEL",
    "SERIES",
    "TABLE",
    "TRANSFORMER",
    "as_series",
    "as_table",
    "atomic_path",
    "column_list",
    "ml_node",
    "require_columns",
]


def ml_node(
    name: str,
    *,
    icon: str,
    inputs: Mapping[str, str | Mapping[str, Any]] | None = None,
    outputs: Mapping[str, str] | str | None = None,
    many: Sequence[str] = (),
    description: str | None = None,
) -> Callable[[Any], Any]:
    """`@node` with the port types given by name: `inputs` maps a parameter to its type (or to its port
    options, e.g. `{"type": "path", "widget": "path"}`); `outputs` is one type (the single `result`) or
    an ordered mapping of output name to type. The category is the name's first part."""
    ports: dict[str, dict[str, Any]] = {}
    for param, spec in (inputs or {}).items():
        ports[param] = {"type": spec} if isinstance(spec, str) else dict(spec)
    if isinstance(outputs, str) or outputs is None:
        out_names = None
        out_types = {"result": outputs} if outputs else None
    else:
        out_names = list(outputs)
        out_types = dict(outputs)
    register = node(
        name=name,
        category=name.split(".", 1)[0],
        icon=icon,
        outputs=out_names,
        output_types=out_types,
        many=many,
        ports=ports or None,
        description=description,
    )

    def decorate(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            import_library_once()
            return func(*args, **kwargs)

        return register(call)

    return decorate


_import_lock = threading.Lock()
_imported = False


def import_library_once() -> None:
    """Import pandas and scikit-learn under one lock before the first library node runs in a process.

    Two nodes on two threads importing scikit-learn for the first time at once can see a partly
    initialised `sklearn.base` (its circular imports meet Python's per-module import locks) and fail
    with "cannot import name 'clone'": the threads backend, Prefect's task threads, ctx.map items.
    """
    global _imported
    if _imported:
        return
    with _import_lock:
        if not _imported:
            for name in WORKER_PRELOAD:
                importlib.import_module(name)
            _imported = True


def as_table(value: Any, what: str = "X") -> Any:
    """A pandas DataFrame from a frame, a series, a NumPy array, a list of row dicts or a dict of columns."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame()
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return pd.DataFrame({what: value})
        if value.ndim == 2:
            return pd.DataFrame(value, columns=[f"x{i}" for i in range(value.shape[1])])
        raise ValueError(f"{what}: a {value.ndim}-D array is not a table (1-D or 2-D expected)")
    if isinstance(value, list) and all(isinstance(row, Mapping) for row in value):
        return pd.DataFrame(value)
    if isinstance(value, Mapping):
        return pd.DataFrame(dict(value))
    raise TypeError(f"{what}: expected a table (pandas DataFrame), got {type(value).__name__}")


def as_series(value: Any, what: str = "y") -> Any:
    """A pandas Series from a series, a one-column frame, a 1-D array or a list."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series):
        return value
    if isinstance(value, pd.DataFrame):
        if value.shape[1] == 1:
            return value.iloc[:, 0]
        raise ValueError(f"{what}: expected one column, got a table with {value.shape[1]} columns")
    if isinstance(value, np.ndarray | list | tuple):
        array = np.asarray(value)
        if array.ndim == 1:
            return pd.Series(array, name=what)
        if array.ndim == 2 and array.shape[1] == 1:
            return pd.Series(array[:, 0], name=what)
        raise ValueError(f"{what}: expected one column of values, got shape {array.shape}")
    raise TypeError(f"{what}: expected a column of values (pandas Series), got {type(value).__name__}")


def column_list(value: Any, what: str = "columns") -> list[Any] | None:
    """A list of column names from a list, a single name, or None/empty (meaning: not given)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str | int):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError(f"{what}: expected a column name or a list of names, got {type(value).__name__}")


def require_columns(table: Any, columns: Sequence[Any], what: str = "columns") -> None:
    """Raise one readable line when a named column is missing (with the columns the table has)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        have = ", ".join(map(str, list(table.columns)[:20])) + (" ..." if len(table.columns) > 20 else "")
        raise KeyError(f"{what}: no column {missing[0]!r} (the table has: {have})")
