"""The registry of node types, from three places.

1. Built-ins: `@node(name=...)` functions in `nodeloom.core.builtins`.
2. Any importable function, named in a file as `py:MODULE:QUALNAME`, resolved on first use.
3. Third-party packages: entry points in the group `nodeloom.nodes`, each naming a module (all its named
   `@node` functions), one decorated function, or a callable returning such functions.

Resolving a type imports its module and reads its signature; it never calls the function.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import builtins as builtin_package
from .errors import NodeTypeError
from .node_types import NodeMeta, NodeType, node_type_from_function

TYPE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$")
PY_PREFIX = "py:"
ENTRY_POINT_GROUP = "nodeloom.nodes"
_PY_RE = re.compile(r"^py:([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$")


class Registry:
    def __init__(self, builtins: bool = True, entry_points: bool = True) -> None:
        self._named: dict[str, NodeType] = {}
        self._py: dict[str, NodeType] = {}
        self._py_errors: dict[str, str] = {}
        self.load_errors: list[str] = []
        self._want_entry_points = entry_points
        self._entry_points_loaded = not entry_points
        if builtins:
            for module in builtin_package.MODULES:
                self.register_module(module, origin="builtin")

    # -- registration ------------------------------------------------------------------------------
    def register(
        self, func: Callable[..., Any], name: str | None = None, origin: str = "builtin"
    ) -> NodeType:
        meta: NodeMeta | None = getattr(func, "__nodeloom__", None)
        name = name or getattr(meta, "name", None)
        if not isinstance(name, str) or not TYPE_NAME_RE.match(name):
            raise NodeTypeError(f"node type name {name!r} must be lower-case dotted, like 'ml.train'")
        existing = self._named.get(name)
        if existing is not None and existing.origin == "builtin" and origin != "builtin":
            raise NodeTypeError(f"node type '{name}' is built in; a plug-in cannot replace it")
        try:
            node_type = node_type_from_function(func, name, origin=origin)
        except (TypeError, ValueError) as exc:
            raise NodeTypeError(str(exc)) from None
        self._named[name] = node_type
        return node_type

    def register_module(self, module: types.ModuleType, origin: str = "builtin") -> list[NodeType]:
        found = []
        for value in vars(module).values():
            meta = getattr(value, "__nodeloom__", None)
            if inspect.isfunction(value) and meta is not None and meta.name:
                found.append(self.register(value, origin=origin))
        return found

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            where = f"entry point {ep.name} ({ep.value})"
            try:
                funcs = _entry_point_functions(ep.load())
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken plug-in must not break the program
                self.load_errors.append(f"{where}: {type(exc).__name__}: {exc}")
                continue
            for func in funcs:  # one bad function does not hide the plug-in's others
                try:
                    self.register(func, origin="entry_point")
                except NodeTypeError as exc:
                    self.load_errors.append(f"{where}: {exc}")

    # -- lookup ------------------------------------------------------------------------------------
    def get(self, name: str) -> NodeType:
        """The node type called `name`; raises NodeTypeError with a one-line reason."""
        found = self._named.get(name) or self._py.get(name)
        if found is not None:
            return found
        if name.startswith(PY_PREFIX):
            return self._resolve_py(name)
        self._load_entry_points()
        found = self._named.get(name)
        if found is None:
            close = difflib.get_close_matches(name, self._named, n=1) if len(name) < 200 else []
            hint = f"; did you mean '{close[0]}'?" if close else " (`nodeloom nodes` lists them)"
            raise NodeTypeError(f"unknown node type {_quote(name)}{hint}")
        return found

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except NodeTypeError:
            return False
        return True

    def all(self) -> Iterator[NodeType]:
        """Every named type (built-in and plug-in), by category then name."""
        self._load_entry_points()
        return iter(sorted(self._named.values(), key=lambda t: (t.category, t.name)))

    def forget_py(self, names: Iterable[str] | None = None) -> None:
        """Drop resolved `py:` types so edited functions are read again (the editor's reload)."""
        for name in list(names) if names is not None else list(self._py) + list(self._py_errors):
            self._py.pop(name, None)
            self._py_errors.pop(name, None)

    def _resolve_py(self, name: str) -> NodeType:
        if name in self._py_errors:
            raise NodeTypeError(self._py_errors[name])
        try:
            node_type = self._py[name] = _import_py_type(name)
            return node_type
        except NodeTypeError as exc:
            self._py_errors[name] = str(exc)
            raise


def _entry_point_functions(obj: Any) -> list[Callable[..., Any]]:
    """The functions an entry point offers: a module's named `@node` functions, one function, or a factory's."""
    if isinstance(obj, types.ModuleType):
        return [
            v
            for v in vars(obj).values()
            if inspect.isfunction(v) and getattr(getattr(v, "__nodeloom__", None), "name", None)
        ]
    if getattr(obj, "__nodeloom__", None) is not None:
        return [obj]
    if callable(obj):
        return list(obj())
    raise NodeTypeError(f"{obj!r} is not a module, a @node function or a callable returning them")


def _quote(name: str, limit: int = 120) -> str:
    return f"'{name}'" if len(name) <= limit else f"'{name[: limit - 3]}...'"


def _import_py_type(name: str) -> NodeType:
    match = _PY_RE.match(name)
    shown = _quote(name)
    if not match:
        raise NodeTypeError(f"node type {shown} must look like py:MODULE:FUNCTION")
    module_name, qualname = match.groups()
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise NodeTypeError(f"node type {shown}: module '{exc.name or module_name}' not found") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - user module failed at import: report, don't crash
        raise NodeTypeError(
            f"node type {shown}: importing '{module_name}' failed: {type(exc).__name__}: {exc}"
        ) from None
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except Exception:  # noqa: BLE001 - AttributeError, or a module __getattr__ that raises anything
            raise NodeTypeError(f"node type {shown}: '{module_name}' has no '{qualname}'") from None
    if not callable(target):
        raise NodeTypeError(
            f"node type {shown}: '{qualname}' is not a function (it is {type(target).__name__})"
        )
    try:
        return node_type_from_function(target, name, origin="py")
    except Exception as exc:  # noqa: BLE001 - whatever reading an odd callable raises, it is not a node type
        raise NodeTypeError(f"node type {shown}: {str(exc).removeprefix(name + ': ')}") from None


_default: Registry | None = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry()
    return _default


def add_import_path(folder: str) -> None:
    """Let `py:` types name modules that sit beside the pipeline file (appended: never shadows)."""
    if folder and folder not in sys.path:
        sys.path.append(folder)
