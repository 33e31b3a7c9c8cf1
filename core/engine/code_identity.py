"""What a node's function can see, as a fingerprint for its cache key.

A function's own source is not enough: two projects' `steps.py` may hold the same `f` reading a
different module constant, or a helper it calls may change. So a key also covers the module the
function was loaded from (its resolved file path and content) and, transitively, the modules that
module imports which are project code (not the standard library, not installed packages), found by
reading their `import` statements (relative imports of a package included) and resolving them through
`sys.modules`, where the import already put them. Installed packages count by their distribution's
version; Nodeloom's built-in types by Nodeloom's version as well as their files.

Not covered (documented): files the function reads at run time (name them in a param) and objects
changed at run time by other code. Results are memoized per module and revalidated by the files'
size and modification time, so keying 10,000 nodes costs one stat per file per run.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import inspect
import os
import site
import sys
import sysconfig
import threading
import types
from typing import Any

from ..node_types import NodeType

MAX_FILES = 500  # a project's own modules; more than this is not a project but an environment
_memo: dict[str, tuple[tuple[tuple[str, int, int], ...], dict[str, Any]]] = {}
_lock = threading.Lock()


def module_identity(node_type: NodeType, checked: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """{"module", "files": {path: sha256}, "packages": {distribution: version}} for a node type.

    `checked` memoizes results within one keying pass (the caller passes the same dict for a whole
    plan), so each module's files are looked at once per run.
    """
    module = _module_of(node_type.func)
    if module is None:
        return {"module": None, "files": {}, "packages": {}}
    name = module.__name__
    if checked is not None and name in checked:
        return checked[name]
    with _lock:
        stored = _memo.get(name)
        if stored is not None and _stats(stored[1]["files"]) == stored[0]:
            found = stored[1]
        else:
            found = _collect(module)
            _memo[name] = (_stats(found["files"]), found)
    if node_type.origin == "builtin":
        found = {**found, "packages": {**found["packages"], "nodeloom": _version("nodeloom")}}
    if checked is not None:
        checked[name] = found
    return found


def identity_hash(identity: dict[str, Any]) -> str:
    text = repr((identity["module"], sorted(identity["files"].items()), sorted(identity["packages"].items())))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _module_of(func: Any) -> types.ModuleType | None:
    target: Any = inspect.unwrap(func)
    while isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    if not (isinstance(target, type) or inspect.isroutine(target)):
        target = type(target)
    name = getattr(target, "__module__", None)
    module = sys.modules.get(name) if isinstance(name, str) else None
    return module or inspect.getmodule(target)


def _collect(root: types.ModuleType) -> dict[str, Any]:
    files: dict[str, str] = {}
    packages: dict[str, str] = {}
    seen: set[str] = set()
    todo = [root]
    while todo and len(files) < MAX_FILES:
        module = todo.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        path = _file_of(module)
        if path is None:
            continue
        if module is not root and module.__name__.startswith("nodeloom."):
            packages["nodeloom"] = _version("nodeloom")  # the engine's own modules: by its version
            continue
        if module is not root and _installed(path):
            _add_package(packages, module.__name__)
            continue
        digest = _file_hash(path)
        if digest is None:
            continue
        files[path] = digest
        for imported in _imports(module, path):
            found = sys.modules.get(imported)
            if isinstance(found, types.ModuleType) and imported not in seen:
                todo.append(found)
    if _installed(_file_of(root) or ""):
        _add_package(packages, root.__name__)
    return {"module": root.__name__, "files": files, "packages": packages}


def _file_of(module: types.ModuleType) -> str | None:
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path:
        return None
    return os.path.realpath(path)


def _stats(files: dict[str, str]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in files:
        try:
            st = os.stat(path)
            out.append((path, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((path, -1, -1))
    return tuple(out)


def _file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()[:16]
    except OSError:
        return None


def _imports(module: types.ModuleType, path: str) -> list[str]:
    """Module names `module`'s source imports (absolute, relative ones resolved against its package)."""
    if not path.endswith(".py"):
        return []
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return []
    package = module.__package__ or ""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base_parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                names.append(base)
                names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    roots = {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    roots.add(site.getusersitepackages() if hasattr(site, "getusersitepackages") else None)
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


def _installed(path: str) -> bool:
    return any(path.startswith(root) for root in _installed_roots())


def _add_package(packages: dict[str, str], module_name: str) -> None:
    """An installed package counts by its version (its `__version__`, else its distribution's)."""
    top = module_name.split(".", 1)[0]
    if top in packages or top in sys.stdlib_module_names:
        return
    version = getattr(sys.modules.get(top), "__version__", None)
    if not isinstance(version, str):
        dists = _distributions().get(top)
        version = _version(dists[0]) if dists else None
    if version is not None:
        packages[top] = version


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> distributions (read once, only for a package without `__version__`)."""
    try:
        return dict(importlib.metadata.packages_distributions())
    except Exception:  # noqa: BLE001 - broken metadata of some package: versions are a bonus
        return {}


@functools.cache
def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"
