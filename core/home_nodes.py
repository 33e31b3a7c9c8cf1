"""The user's own node types: every `.py` file in `NODELOOM_HOME/nodes`, loaded when the registry starts.

A file defines functions with `@node`; a function with `@node(name="team.clean")` registers under that
name, a bare `@node` one under `FILESTEM.FUNCTION` (so `nodes/text_tools.py: def shout` is
`text_tools.shout`). A file that fails to import is reported with its path and line and skipped; the
other files still load. The folder is the user's own, so it is trusted like an installed package.

This module is also the package the files import as (`nodeloom.core.home_nodes.FILESTEM`): its
`__path__` is the folder. Why: a worker process receives a node's function pickled by module name, and
importing that name there finds the same file again (a child inherits NODELOOM_HOME), with no change to
sys.path that could shadow another module.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from .errors import NodeTypeError

PACKAGE = __name__


def nodes_folder() -> Path:
    """`NODELOOM_HOME/nodes` (not created: an absent folder simply has no node types)."""
    from .home import nodeloom_home

    return nodeloom_home() / "nodes"


def _folder_for_import() -> list[str]:
    try:
        return [str(nodes_folder())]
    except OSError:  # an unusable NODELOOM_HOME: no user nodes, the caller reports the home problem
        return []


__path__: list[str] = _folder_for_import()  # makes this module a package of the user's files


def load_home_nodes(registry: Any, folder: Path | None = None) -> list[str]:
    """Import every file of the folder and register its `@node` functions; returns the names registered.

    Problems go to `registry.load_errors`, one line each (`PATH line N: Error: message`).
    """
    folder = folder or nodes_folder()
    __path__[:] = [str(folder)]
    importlib.invalidate_caches()
    if not folder.is_dir():
        return []
    registered: list[str] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        if not path.stem.isidentifier():
            registry.load_errors.append(f"{path}: the file name must be a Python name (letters, digits, _)")
            continue
        module_name = f"{PACKAGE}.{path.stem}"
        sys.modules.pop(module_name, None)  # loaded at start: always the file as it is now
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken file must not stop the others
            sys.modules.pop(module_name, None)
            registry.load_errors.append(f"{path} line {_error_line(exc, path)}: {_one_line(exc)}")
            continue
        for func in _node_functions(module):
            meta = func.__nodeloom__
            name = meta.name or f"{path.stem}.{func.__name__}".lower()
            try:
                registry.register(func, name=name, origin="home")
            except NodeTypeError as exc:
                registry.load_errors.append(f"{path}: {exc}")
                continue
            registered.append(name)
    return registered


def _node_functions(module: Any) -> list[Any]:
    """The module's own `@node` functions (not ones it imported from elsewhere)."""
    return [
        value
        for value in vars(module).values()
        if inspect.isfunction(value)
        and getattr(value, "__nodeloom__", None) is not None
        and value.__module__ == module.__name__
    ]


def _error_line(exc: BaseException, path: Path) -> int | str:
    """The line of `path` where the import failed (the last frame in that file)."""
    if isinstance(exc, SyntaxError) and exc.lineno is not None and _same(exc.filename, path):
        return exc.lineno
    line: int | str = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if _same(frame.filename, path):
            line = frame.lineno or "?"
    return line


def _same(filename: str | None, path: Path) -> bool:
    try:
        return bool(filename) and os.path.samefile(filename, path)  # type: ignore[arg-type]
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    text = (exc.msg if isinstance(exc, SyntaxError) else str(exc)).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
