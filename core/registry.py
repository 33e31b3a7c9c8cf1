"""The registry of node types, from three places.

1. Built-ins: `@node(name=...)` functions in `nodeloom.core.builtins`.
2. Any importable function, named in a file as `py:MODULE:QUALNAME`, resolved on first use.
3. Third-party packages: entry points in the group `nodeloom.nodes`, each naming a module (all its named
   `@node` functions), one decorated function, or a callable returning such functions.
4. The user's own files, `NODELOOM_HOME/nodes/*.py` (see `home_nodes`), loaded with the entry points.

Resolving a type imports its module and reads its signature; it never calls the function. Under a
`TrustPolicy` that does not trust the module's folder (opening a stranger's file), the module is not
imported at all: its source is read instead (`static_node_type`), or the node is reported as not
checked, with the reason (`UncheckedType`).
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.metadata
import inspect
import os
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from . import builtins as builtin_package
from .errors import NodeTypeError
from .node_types import NodeMeta, NodeType, node_type_from_function
from .static_node_type import UncheckedType, static_node_type
from .trust import TRUST_ALL, TrustPolicy, locate_module, untrusted_paths_hidden

# used with fullmatch: a `$` would let a trailing newline through
TYPE_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+")
PY_PREFIX = "py:"
ENTRY_POINT_GROUP = "nodeloom.nodes"
_PY_RE = re.compile(r"py:([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


class Registry:
    def __init__(self, builtins: bool = True, entry_points: bool = True) -> None:
        self._named: dict[str, NodeType] = {}
        self.policy: TrustPolicy = TRUST_ALL
        # resolved `py:` types (or why they failed), per policy: a name means different code per folder
        self._py_cache: dict[TrustPolicy, dict[str, NodeType | NodeTypeError]] = {}
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
        if not isinstance(name, str) or not TYPE_NAME_RE.fullmatch(name):
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
        from .home_nodes import load_home_nodes  # the user's NODELOOM_HOME/nodes files, then packages

        load_home_nodes(self)
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            where = f"entry point {ep.name} ({ep.value})"
            try:
                with untrusted_paths_hidden(self.policy):  # a plug-in is never shadowed by the cwd's files
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
    # -- trust -------------------------------------------------------------------------------------
    def set_policy(self, policy: TrustPolicy) -> None:
        """Resolve `py:` types under `policy` from now on (cached results of other policies are kept)."""
        self.policy = policy

    @contextlib.contextmanager
    def trusting(self, policy: TrustPolicy) -> Iterator[Registry]:
        """Use `policy` for the duration of a block (a CLI command's validation), then the previous one."""
        previous = self.policy
        self.policy = policy
        try:
            yield self
        finally:
            self.policy = previous

    def use_folder(self, folder: str | os.PathLike[str]) -> None:
        """Let `py:` types name modules beside a pipeline file, if the policy trusts that folder."""
        if self.policy.trusts_folder(folder):
            add_import_path(os.fspath(folder))

    # -- lookup ------------------------------------------------------------------------------------
    def get(self, name: str) -> NodeType:
        """The node type called `name`; raises NodeTypeError with a one-line reason (UncheckedType when
        it could not be read without running untrusted code)."""
        found = self._named.get(name)
        if found is not None:
            return found
        if name.startswith(PY_PREFIX):
            return self._resolve_py(name)
        self._load_entry_points()
        found = self._named.get(name)
        if found is None:
            close = difflib.get_close_matches(name, self._named, n=1) if len(name) < 200 else []
            hint = f"; did you mean '{close[0]}'?" if close else " (`nodeloom nodes` lists them)"
            if self.load_errors:  # the type may be in a node file or plug-in that failed: say so
                hint += f"; not loaded: {self.load_errors[0]}" + (
                    f" (and {len(self.load_errors) - 1} more)" if len(self.load_errors) > 1 else ""
                )
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
        for cache in self._py_cache.values():
            for name in list(names) if names is not None else list(cache):
                cache.pop(name, None)

    def _resolve_py(self, name: str) -> NodeType:
        cache = self._py_cache.setdefault(self.policy, {})
        found = cache.get(name)
        if found is None:
            try:
                found = _resolve_py_type(name, self.policy)
            except NodeTypeError as exc:
                found = exc
            cache[name] = found
        if isinstance(found, NodeTypeError):
            raise found
        return found


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


def _resolve_py_type(name: str, policy: TrustPolicy) -> NodeType:
    """Import the function, or, when its module lies in an untrusted folder, read it from source."""
    match = _PY_RE.fullmatch(name)
    shown = _quote(name)
    if not match:
        raise NodeTypeError(f"node type {shown} must look like py:MODULE:FUNCTION")
    module_name, qualname = match.groups()
    if policy.trusts_everything:
        return _import_py_type(name, module_name, qualname, shown)
    located = locate_module(module_name, policy)
    if located is None:
        raise NodeTypeError(f"node type {shown}: module '{module_name}' not found")
    if located.untrusted_in is None:
        with untrusted_paths_hidden(policy):
            return _import_py_type(name, module_name, qualname, shown)
    where = f"{name} is in the untrusted folder {located.untrusted_in}"
    try:
        node_type = static_node_type(name, module_name, qualname, located.spec.origin or "", shown)
    except UncheckedType as exc:
        raise UncheckedType(f"not checked: {where} ({policy.hint}); {exc}") from None
    note = f"partly checked: {where}; its ports were read from the source without running it ({policy.hint})"
    return replace(node_type, note=note)


def _import_py_type(name: str, module_name: str, qualname: str, shown: str) -> NodeType:
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
    # Only for trusted folders: `nodeloom run` (which implies trust) and `Registry.use_folder`.
    """Let `py:` types name modules that sit beside the pipeline file (appended: never shadows)."""
    if folder and folder not in sys.path:
        sys.path.append(folder)
