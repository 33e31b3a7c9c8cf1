"""Data nodes: constants and reading or writing JSON values (tables: `ml_data` and `ml_tables`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..decorator import node


@node(name="data.value", category="data", icon="fa5s.cube")
def value(value: Any = None) -> Any:
    """A constant value (any JSON), e.g. a list of options or a configuration dict."""
    return value


@node(name="data.read_json", category="data", icon="fa5s.file-code", ports={"path": {"widget": "path"}})
def read_json(path: Path) -> Any:
    """Read a JSON file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@node(name="data.write_json", category="data", icon="fa5s.save", ports={"path": {"widget": "path"}})
def write_json(data: Any, path: Path) -> str:
    """Write a value as JSON (atomically: a crash never leaves half a file); outputs the path."""
    atomic_write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")
    return str(path)


@node(name="data.column", category="data", icon="fa5s.columns", ports={"rows": {"type": "any"}})
def column(rows: Any, name: str) -> list:
    """One column of a table or of a list of row dicts, as a plain list (data.get_column gives a series)."""
    if hasattr(rows, "columns") and hasattr(rows, "iloc"):  # a pandas DataFrame (pandas is not imported here)
        if name not in rows.columns:
            raise KeyError(f"name: no column {name!r} (the table has: {', '.join(map(str, rows.columns))})")
        return rows[name].tolist()
    return [row[name] for row in rows]


def _jsonable(obj: Any) -> Any:
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return tolist()
    return str(obj)
