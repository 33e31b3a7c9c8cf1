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
import importlib.machinery
import importlib.metadata
import inspect
import os
import site
import sys
import sysconfig
import threading
import types
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import Problem
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
    # the same module name may be another project's file (an editor that opened two projects)
    name = f"{module.__name__}@{_file_of(module)}"
    if checked is not None and name in checked:
        return checked[name]
    found = _identity(module, name)
    if node_type.origin == "builtin":
        found = {**found, "packages": {**found["packages"], "nodeloom": _version("nodeloom")}}
    if checked is not None:
        checked[name] = found
    return found


def function_fingerprint(func: Callable[..., Any]) -> str | None:
    """What `func` can see, for keys of things that are not node types (`ctx.map` items).

    None when its module has no file (a function defined in `__main__` of an interactive session).
    """
    module = _module_of(func)
    path = _file_of(module) if module is not None else None
    if module is None or path is None:
        return None
    return identity_hash(_identity(module, f"{module.__name__}@{path}"))


def _identity(module: types.ModuleType, name: str) -> dict[str, Any]:
    with _lock:
        stored = _memo.get(name)
        if stored is not None and _stats(stored[1]["files"]) == stored[0]:
            return stored[1]
        found = _collect(module)
        _memo[name] = (_stats(found["files"]), found)
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


class _Source(NamedTuple):
    name: str
    package: str
    path: str | None


def _collect(root: types.ModuleType) -> dict[str, Any]:
    files: dict[str, str] = {}
    packages: dict[str, str] = {}
    seen: set[str] = set()
    first = _Source(root.__name__, root.__package__ or "", _file_of(root))
    todo = [first]
    while todo and len(files) < MAX_FILES:
        source = todo.pop()
        if source.name in seen or source.path is None:
            continue
        seen.add(source.name)
        if source is not first and source.name.startswith("nodeloom."):
            packages["nodeloom"] = _version("nodeloom")  # the engine's own modules: by its version
            continue
        if source is not first and _installed(source.path):
            _add_package(packages, source.name)
            continue
        digest = _file_hash(source.path)
        if digest is None:
            continue
        files[source.path] = digest
        todo.extend(s for s in map(_source_of, _imports(source)) if s is not None and s.name not in seen)
    if _installed(first.path or ""):
        _add_package(packages, root.__name__)
    return {"module": root.__name__, "files": files, "packages": packages}


def _source_of(name: str) -> _Source | None:
    """Where module `name` comes from: the imported module, else (top-level names only) where an import
    would find it, without importing it (a module the function imports lazily, at run time)."""
    module = sys.modules.get(name)
    if isinstance(module, types.ModuleType):
        return _Source(name, module.__package__ or "", _file_of(module))
    if "." in name or name in sys.stdlib_module_names:  # finding a submodule would import its package
        return None
    try:
        spec = importlib.machinery.PathFinder.find_spec(name)
    except (ImportError, ValueError, OSError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    package = name if spec.submodule_search_locations is not None else ""
    return _Source(name, package, os.path.realpath(spec.origin))


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


def _imports(source: _Source) -> list[str]:
    """Module names `source` imports (absolute, relative ones resolved against its package)."""
    path = source.path
    if path is None or not path.endswith(".py"):
        return []
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return []
    package = source.package
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


def shadowed_modules(node_types: dict[str, NodeType], file: str | None) -> list[Problem]:
    """Nodes whose module was already imported from another project's folder, in this process.

    Python imports a module name once per process: an editor that ran a pipeline whose `steps.py` sits
    in folder A runs A's `steps` for a pipeline in folder B too, silently computing the wrong values.
    Until modules are imported per folder, such a run is refused with a line saying why. Installed
    modules are not concerned (a file beside the pipeline never shadows them, by design).
    """
    if not file:
        return []
    folder = os.path.realpath(os.path.dirname(os.path.abspath(file)))
    problems: list[Problem] = []
    elsewhere: dict[str, str | None] = {}  # top-level module -> the other folder's file it came from
    for node_id, node_type in node_types.items():
        module = _module_of(node_type.func) if node_type.origin == "py" else None
        if module is None:
            continue
        top = module.__name__.split(".", 1)[0]
        if top not in elsewhere:
            elsewhere[top] = _loaded_elsewhere(top, module, folder)
        loaded = elsewhere[top]
        if loaded is None:
            continue
        problems.append(
            Problem(
                f"module '{top}' is already loaded from {loaded}, not from this pipeline's folder: two "
                "projects' modules share a name in this process; restart the editor to run this pipeline "
                "(or rename one of the modules)",
                node=node_id,
                file=file,
            )
        )
    return problems


def _loaded_elsewhere(top: str, module: types.ModuleType, folder: str) -> str | None:
    """The file `top` was loaded from when the pipeline's folder has its own `top` (else None)."""
    beside = os.path.join(folder, top)
    if not (os.path.isfile(beside + ".py") or os.path.isfile(os.path.join(beside, "__init__.py"))):
        return None
    loaded = _file_of(sys.modules.get(top) or module)
    if loaded is None or _installed(loaded) or loaded.startswith(folder + os.sep):
        return None
    return loaded
