"""A `py:` node type read from its module's source, without running a line of it.

Used for modules in a folder the user has not trusted (see `trust`): the function's signature is read
with `ast` (parameters, literal defaults, annotations, literal `@node(...)` options), turned into a
signature-only stand-in, and handed to `node_type_from_function`, so ports, unknown ports, required
inputs, choices and bounds are checked by the very code that checks an imported function.

What a source read cannot know raises `UncheckedType` with the reason (a decorator other than `@node`,
options computed at import time, a function made at run time). Annotations are mapped only when their
meaning is certain (builtins, `typing` forms, classes defined in the module); any other is `any`, so a
source read may miss a type mismatch but never reports a false one.
"""

from __future__ import annotations

import ast
import collections.abc
import hashlib
import importlib.util
import inspect
import os
import pathlib
import stat
import typing
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .context import Context
from .decorator import node as node_decorator
from .errors import NodeTypeError
from .node_types import NodeType, node_type_from_function

MAX_SOURCE_BYTES = 8 * 1024 * 1024


class UncheckedType(NodeTypeError):
    """The type cannot be read without running untrusted code; the message says why."""


class _Unknown:
    """A default value computed at import time: the port has a default, its value is not known."""

    def __repr__(self) -> str:
        return "<computed when the module runs>"


UNKNOWN_DEFAULT: Any = _Unknown()

_NAMES: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "bytes": bytes,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "set": Any,
    "object": object,
    "None": None,
    "Any": Any,
    "List": list,
    "Tuple": tuple,
    "Dict": dict,
    "Sequence": collections.abc.Sequence,
    "Mapping": collections.abc.Mapping,
    "Path": pathlib.Path,
    "PurePath": pathlib.PurePath,
    "Context": Context,
}
_FORMS = {"Optional", "Union", "Literal", "Annotated"}
_BUILTINS = {
    "int",
    "float",
    "str",
    "bool",
    "bytes",
    "list",
    "tuple",
    "dict",
    "set",
    "object",
    "None",
    "Context",
}
_MODULE_PREFIXES = {"typing", "typing_extensions", "collections.abc", "pathlib", "builtins"}
_DECORATOR_MODULES = ("nodeloom",)
_DYNAMIC = {"__getattr__", "globals", "setattr", "exec", "eval", "vars"}


def read_source(file: str) -> str:
    """The module's text: a regular file, of sane size, decoded as Python decodes source."""
    try:
        st = os.stat(file)
    except OSError as exc:
        raise UncheckedType(f"cannot read {file}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UncheckedType(f"{file} is not a regular file")
    if st.st_size > MAX_SOURCE_BYTES:
        raise UncheckedType(f"{file} is too large to read")
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
        return importlib.util.decode_source(data)
    except (OSError, UnicodeDecodeError, SyntaxError, LookupError) as exc:
        raise UncheckedType(f"cannot read {file}: {exc}") from None


def static_node_type(name: str, module_name: str, qualname: str, file: str, shown: str) -> NodeType:
    """The node type `name` as its source in `file` declares it; raises NodeTypeError / UncheckedType."""
    if not file or file == "namespace":  # a folder without __init__.py holds no functions
        raise NodeTypeError(f"node type {shown}: '{module_name}' has no '{qualname}'")
    if not file.endswith(".py"):
        raise UncheckedType("it is compiled code, which cannot be read without running it")
    source = read_source(file)
    try:
        tree = ast.parse(source, filename=file)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise UncheckedType(f"its source does not parse{where}") from None
    module = _Module(tree, module_name)
    target, owner_is_class = module.find(qualname, shown)
    if isinstance(target, ast.ClassDef):
        init = _last_def(target.body, "__init__")
        if target.decorator_list or not isinstance(init, ast.FunctionDef):
            raise UncheckedType(f"'{qualname}' is a class whose constructor is made when the module runs")
        stub = module.stub(init, shown, drop_first=True, decorators_allowed=False, returns=target.name)
        stub.__doc__ = ast.get_docstring(target)  # a class node is described by the class, as imported
    elif isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef):
        stub = module.stub(target, shown, drop_first=False, method=owner_is_class)
    else:
        raise UncheckedType(f"'{qualname}' is neither a function nor a class in its source")
    try:
        node_type = node_type_from_function(stub, name, origin="py")
    except (TypeError, ValueError) as exc:
        raise NodeTypeError(f"node type {shown}: {str(exc).removeprefix(name + ': ')}") from None
    segment = ast.get_source_segment(source, target) or ast.dump(target)
    return replace(
        node_type, code_hash=hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    )


def _last_def(body: list[ast.stmt], name: str) -> ast.stmt | None:
    """The statement that binds `name` last in a body (what the attribute is once the body has run)."""
    found: ast.stmt | None = None
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and stmt.name == name:
            found = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name.split(".")[0]) == name for a in stmt.names):
                found = stmt
        elif isinstance(stmt, ast.If | ast.Try | ast.With | ast.For | ast.While):
            inner = [s for s in ast.walk(stmt) if s is not stmt and isinstance(s, ast.stmt)]
            if _last_def(inner, name) is not None:
                found = stmt  # bound conditionally: only running the module says how
    return found


class _Module:
    def __init__(self, tree: ast.Module, name: str) -> None:
        self.tree = tree
        self.name = name
        self.aliases: dict[
            str, str
        ] = {}  # local name -> dotted origin ('np' -> 'numpy', 'Opt' -> 'typing.Optional')
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0]
                    )
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
                for a in stmt.names:
                    self.aliases[a.asname or a.name] = f"{stmt.module}.{a.name}"
        self.classes = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}
        self.dynamic = any(
            (isinstance(n, ast.Name) and n.id in _DYNAMIC)
            or (isinstance(n, ast.FunctionDef) and n.name == "__getattr__")
            or (isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names))
            for n in ast.walk(tree)
        )

    def find(self, qualname: str, shown: str) -> tuple[ast.stmt, bool]:
        body: list[ast.stmt] = self.tree.body
        found: ast.stmt | None = None
        in_class = False
        parts = qualname.split(".")
        for index, part in enumerate(parts):
            found = _last_def(body, part)
            if found is None:
                if self.dynamic:
                    raise UncheckedType(
                        f"'{qualname}' is not defined in the source (it may be made when the module runs)"
                    )
                raise NodeTypeError(f"node type {shown}: '{self.name}' has no '{qualname}'")
            if not isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                what = "imported" if isinstance(found, ast.Import | ast.ImportFrom) else "assigned"
                raise UncheckedType(f"'{'.'.join(parts[: index + 1])}' is {what} when the module runs")
            if index < len(parts) - 1:
                if not isinstance(found, ast.ClassDef) or found.decorator_list:
                    raise UncheckedType(f"'{qualname}' is made when the module runs")
                body, in_class = found.body, True
        assert found is not None
        return found, in_class

    # -- the signature-only stand-in ----------------------------------------------------------------
    def stub(
        self,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        shown: str,
        *,
        drop_first: bool,
        method: bool = False,
        decorators_allowed: bool = True,
        returns: str | None = None,
    ) -> Callable[..., Any]:
        """A function with `func`'s signature (`returns`: a class of this module it constructs)."""
        meta_kwargs: dict[str, Any] | None = None
        for deco in func.decorator_list:
            if decorators_allowed and self._is_node_decorator(deco):
                meta_kwargs = self._node_options(deco)
            elif method and isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
                drop_first = drop_first or deco.id == "classmethod"
            else:
                text = ast.unparse(deco)[:60]
                raise UncheckedType(f"its decorator @{text} can change it only when the module runs")
        args = func.args
        params: list[inspect.Parameter] = []
        annotations: dict[str, Any] = {}
        positional = [(a, inspect.Parameter.POSITIONAL_ONLY) for a in args.posonlyargs] + [
            (a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args.args
        ]
        first_default = len(positional) - len(args.defaults)
        for index, (arg, kind) in enumerate(positional):
            if drop_first and index == 0:
                continue
            default = (
                self._default(args.defaults[index - first_default])
                if index >= first_default
                else inspect.Parameter.empty
            )
            params.append(self._param(arg, kind, default, annotations))
        if args.vararg:
            params.append(
                self._param(
                    args.vararg, inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty, annotations
                )
            )
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            default = inspect.Parameter.empty if kw_default is None else self._default(kw_default)
            params.append(self._param(arg, inspect.Parameter.KEYWORD_ONLY, default, annotations))
        if args.kwarg:
            params.append(
                self._param(args.kwarg, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.empty, annotations)
            )
        if returns is not None:
            result: Any = self._local_class(returns)
        else:
            result = self._hint(func.returns) if func.returns is not None else inspect.Signature.empty
        if result is not inspect.Signature.empty:
            annotations["return"] = result
        try:
            signature = inspect.Signature(params, return_annotation=result)
        except ValueError as exc:  # not a valid Python signature: the module would not even import
            raise NodeTypeError(f"node type {shown}: {exc}") from None

        def stand_in(*args: Any, **kwargs: Any) -> Any:
            raise NodeTypeError(f"node type {shown} was read from its source only; its folder is not trusted")

        stand_in.__signature__ = signature  # type: ignore[attr-defined]
        stand_in.__annotations__ = annotations
        stand_in.__doc__ = ast.get_docstring(func)
        stand_in.__name__ = stand_in.__qualname__ = func.name
        if meta_kwargs is not None:
            try:
                node_decorator(**meta_kwargs)(stand_in)
            except (TypeError, ValueError) as exc:
                raise NodeTypeError(f"node type {shown}: {exc}") from None
        return stand_in

    def _param(self, arg: ast.arg, kind: Any, default: Any, annotations: dict[str, Any]) -> inspect.Parameter:
        hint = self._hint(arg.annotation) if arg.annotation is not None else inspect.Parameter.empty
        if hint is not inspect.Parameter.empty:
            annotations[arg.arg] = hint
        return inspect.Parameter(arg.arg, kind, default=default, annotation=hint)

    @staticmethod
    def _default(expr: ast.expr) -> Any:
        try:
            return ast.literal_eval(expr)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return UNKNOWN_DEFAULT

    def _is_node_decorator(self, deco: ast.expr) -> bool:
        target = deco.func if isinstance(deco, ast.Call) else deco
        dotted = self._dotted(target)
        if dotted is None:
            return False
        if dotted == "node" and "node" not in self.aliases:
            return True
        origin = self._resolve(dotted)
        return origin.split(".")[0] in _DECORATOR_MODULES and origin.endswith(".node")

    def _node_options(self, deco: ast.expr) -> dict[str, Any]:
        if not isinstance(deco, ast.Call):
            return {}
        if deco.args or any(k.arg is None for k in deco.keywords):
            raise UncheckedType("its @node(...) options are computed when the module runs")
        options: dict[str, Any] = {}
        for keyword in deco.keywords:
            try:
                options[str(keyword.arg)] = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise UncheckedType(
                    f"its @node option '{keyword.arg}' is computed when the module runs"
                ) from None
        return options

    def _dotted(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, ast.Attribute):
            base = self._dotted(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def _resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        origin = self.aliases.get(head, head)
        return f"{origin}.{rest}" if rest else origin

    def _hint(self, expr: ast.expr | None, depth: int = 0) -> Any:
        """A real hint object for an annotation whose meaning is certain; `Any` otherwise."""
        if expr is None or depth > 20:
            return Any
        if isinstance(expr, ast.Constant):
            if expr.value is None:
                return None
            if isinstance(expr.value, str):  # a string annotation: read it as an expression
                try:
                    inner = ast.parse(expr.value, mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return Any
                return self._hint(inner, depth + 1)
            return Any
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            left, right = self._hint(expr.left, depth + 1), self._hint(expr.right, depth + 1)
            return typing.Union[left, right]  # noqa: UP007 - built from parts at run time
        if isinstance(expr, ast.Subscript):
            base = self._name_of(expr.value)
            items = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
            if base == "Literal":
                try:
                    values = tuple(ast.literal_eval(i) for i in items)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    return Any
                return typing.Literal[values]
            if base == "Optional":
                return typing.Optional[self._hint(items[0], depth + 1)]  # noqa: UP045
            if base == "Union":
                return typing.Union[tuple(self._hint(i, depth + 1) for i in items)]  # noqa: UP007
            if base == "Annotated":
                return self._hint(items[0], depth + 1)
            origin = _NAMES.get(base or "")
            if origin in (list, tuple, dict, collections.abc.Sequence, collections.abc.Mapping):
                if origin in (list, collections.abc.Sequence) and len(items) == 1:
                    return list[self._hint(items[0], depth + 1)]  # type: ignore[misc]
                return origin
            return Any
        dotted = self._dotted(expr)
        if dotted in self.classes:  # a class of this module: the port type an import would give
            return self._local_class(dotted)
        name = self._name_of(expr)
        return _NAMES.get(name, Any) if name is not None else Any

    def _local_class(self, name: str) -> type:
        return type(name, (), {"__module__": self.name, "__qualname__": name})

    def _name_of(self, expr: ast.expr) -> str | None:
        """The well-known name an expression stands for (`typing.Optional` and `Optional` alike), or None."""
        dotted = self._dotted(expr)
        if dotted is None:
            return None
        if "." not in dotted and dotted not in self.aliases:  # not imported: only builtins mean something
            return dotted if dotted in _BUILTINS else None
        origin = self._resolve(dotted)
        module, _, attr = origin.rpartition(".")
        if module in _MODULE_PREFIXES and (attr in _NAMES or attr in _FORMS):
            return attr
        if attr == "Context" and module.split(".")[0] in _DECORATOR_MODULES:
            return "Context"
        return None
