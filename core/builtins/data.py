"""Data nodes: constants and reading or writing common files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..decorator import node


@node(name="data.value", category="data", icon="fa5s.cube")
def value(value: Any = None) -> Any:
    """A constant value (any JSON), e.g. a list of options or a configuration dict."""
    return value


@node(name="data.read_csv", category="data", icon="fa5s.file-csv", ports={"path": {"widget": "path"}})
def read_csv(path: Path, delimiter: str = ",") -> list:
    """Read a CSV file with a header row into a list of row dicts (numbers parsed where they look like numbers)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f, delimiter=delimiter)]


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


@node(name="data.column", category="data", icon="fa5s.columns")
def column(rows: list, name: str) -> list:
    """One column of a list of row dicts."""
    return [row[name] for row in rows]


def _number(text: str | None) -> Any:
    if text is None:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _jsonable(obj: Any) -> Any:
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return tolist()
    return str(obj)
