"""Which code may run: a pipeline file from a stranger must not execute anything by being opened.

A `py:MODULE:FUNCTION` node names a module; importing it runs the module's top level. Opening,
validating or rendering a file therefore never imports a module that sits in the file's folder (at any
depth) or that is found only through the current directory on `sys.path` (`python -m` puts it there),
unless the user trusts that folder (`--trust`, the editor's prompt; `nodeloom run` implies it).
Modules installed in the environment (the interpreter's prefixes, site-packages, `PYTHONPATH` entries
elsewhere) and entry-point plug-ins stay trusted: the user installed them.

`locate_module` finds where a module would be imported from WITHOUT executing anything: the import
system's finders only look at directories and file names, and a package's `__init__.py` is never run to
find its submodules. A module whose file is untrusted is then read from its source (`static_node_type`)
instead of imported.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import os
import site
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path


def real(path: str | os.PathLike[str]) -> str:
    """An absolute, symlink-free path ('' is the current directory, as on `sys.path`)."""
    return os.path.realpath(os.fspath(path) or os.curdir)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def installation_roots() -> tuple[str, ...]:
    """Folders holding what is installed in this environment: trusted even inside an untrusted folder
    (a project's `.venv` usually sits in the project folder the pipeline is in)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(
        v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")
    )
    with contextlib.suppress(Exception):  # some embedded interpreters lack these
        roots.update(site.getsitepackages())
    with contextlib.suppress(Exception):
        roots.add(site.getusersitepackages())
    # Nodeloom's own package and its resources (the examples), wherever an editable install keeps them
    roots.add(os.path.dirname(os.path.abspath(__file__)))
    with contextlib.suppress(Exception):
        roots.update(importlib.util.find_spec("nodeloom.core.resources").submodule_search_locations or [])  # type: ignore[union-attr]
    return tuple(sorted({real(r) for r in roots if r}))


@dataclass(frozen=True)
class TrustPolicy:
    """Folders whose code must not run.

    `untrusted_folders`: nothing inside them (at any depth) is imported, except installed code.
    `untrusted_entries`: `sys.path` entries (the current directory) not searched for importable modules.
    `hint` finishes every "not checked" message with what the user can do.
    """

    untrusted_folders: frozenset[str] = frozenset()
    untrusted_entries: frozenset[str] = frozenset()
    hint: str = "use --trust"
    _installed: tuple[str, ...] = field(default_factory=installation_roots, compare=False, repr=False)

    @property
    def trusts_everything(self) -> bool:
        return not self.untrusted_folders and not self.untrusted_entries

    def untrusted_folder_of(self, file: str) -> str | None:
        """The untrusted folder `file` lies in, or None when its code may run."""
        path = real(file)
        if any(_inside(path, root) for root in self._installed):
            return None
        for folder in sorted(self.untrusted_folders, key=len, reverse=True):
            if _inside(path, folder):
                return folder
        return None

    def hides_entry(self, entry: str) -> bool:
        """Whether a `sys.path` entry must not be searched (it is, or lies in, an untrusted folder)."""
        path = real(entry)
        return path in self.untrusted_entries or self.untrusted_folder_of(path) is not None

    def trusts_folder(self, folder: str | os.PathLike[str]) -> bool:
        return not self.hides_entry(os.fspath(folder))


TRUST_ALL = TrustPolicy()


def policy_for(file: str | os.PathLike[str] | None, trusted: bool, hint: str = "use --trust") -> TrustPolicy:
    """The policy for opening `file`: everything trusted, or neither its folder nor the current directory."""
    if trusted:
        return TRUST_ALL
    folders = frozenset({real(os.path.dirname(os.path.abspath(file)))}) if file is not None else frozenset()
    return TrustPolicy(folders, frozenset({real(os.curdir)}), hint)


@dataclass(frozen=True)
class Located:
    """Where a module would be imported from; `untrusted_in` names the folder that forbids importing it."""

    spec: ModuleSpec
    untrusted_in: str | None = None


def locate_module(name: str, policy: TrustPolicy) -> Located | None:
    """The spec `import name` would use, without executing any module code; None when not found.

    The search mirrors a trusted import: `sys.path` in order, then the untrusted folders (a trusted
    run appends the pipeline's folder). Each package level is checked, so `pkg.mod` with `pkg` in an
    untrusted folder is untrusted even though `pkg/__init__.py` is never run.
    """
    parts = name.split(".")
    untrusted: str | None = None
    spec: ModuleSpec | None = None
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if depth == 1:
            spec, via = _find_top(prefix, policy)
            if spec is not None and via is not None and policy.hides_entry(via):
                untrusted = untrusted or policy.untrusted_folder_of(via) or real(via)
        else:
            assert spec is not None
            locations = list(spec.submodule_search_locations or [])
            if not locations:
                return None
            spec = _find_sub(prefix, locations)
        if spec is None:
            return None
        for file in _spec_files(spec):
            untrusted = untrusted or policy.untrusted_folder_of(file)
    assert spec is not None
    return Located(spec, untrusted)


def _spec_files(spec: ModuleSpec) -> list[str]:
    if spec.has_location and spec.origin:
        return [spec.origin]
    return list(spec.submodule_search_locations or [])  # a namespace package: its folders


def _find_top(name: str, policy: TrustPolicy) -> tuple[ModuleSpec | None, str | None]:
    """A top-level module's spec and the `sys.path` entry it came from (None when not path-based)."""
    module = sys.modules.get(name)
    if module is not None:
        spec = getattr(module, "__spec__", None)
        return (spec, None) if isinstance(spec, ModuleSpec) else (None, None)
    entries = list(sys.path) + sorted(f for f in policy.untrusted_folders if f not in map(real, sys.path))
    for finder in sys.meta_path:
        if finder is importlib.machinery.PathFinder or isinstance(finder, importlib.machinery.PathFinder):
            namespace: ModuleSpec | None = None
            for entry in entries:
                if not isinstance(entry, str):
                    continue
                spec = importlib.machinery.PathFinder.find_spec(name, [entry])
                if spec is None:
                    continue
                if spec.loader is None or spec.origin in (None, "namespace"):  # a namespace portion
                    namespace = namespace or spec
                    continue
                return spec, entry
            if namespace is not None:
                return namespace, None
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, None)
        except Exception:  # noqa: BLE001 - a misbehaving installed finder must not break validation
            continue
        if spec is not None:
            return spec, None
    return None, None


def _find_sub(name: str, locations: list[str]) -> ModuleSpec | None:
    module = sys.modules.get(name)
    if module is not None and isinstance(getattr(module, "__spec__", None), ModuleSpec):
        return module.__spec__
    return importlib.machinery.PathFinder.find_spec(name, locations)


@contextlib.contextmanager
def untrusted_paths_hidden(policy: TrustPolicy) -> Iterator[None]:
    """While importing trusted code, `sys.path` leaves out untrusted entries, so nothing it imports in
    turn can come from an untrusted folder (the current directory shadowing an installed module)."""
    if policy.trusts_everything:
        yield
        return
    saved = list(sys.path)
    kept = [e for e in saved if not (isinstance(e, str) and policy.hides_entry(e))]
    if len(kept) == len(saved):
        yield
        return
    sys.path[:] = kept
    try:
        yield
    finally:
        added = [e for e in sys.path if e not in kept]  # what the imported code appended stays
        sys.path[:] = saved + [e for e in added if e not in saved]


def folder_of(file: str | os.PathLike[str]) -> Path:
    return Path(real(os.path.dirname(os.path.abspath(file))))


__all__ = [
    "TRUST_ALL",
    "Located",
    "TrustPolicy",
    "folder_of",
    "locate_module",
    "policy_for",
    "untrusted_paths_hidden",
]
