"""Node types: what a node does and which ports it has, read from a plain Python function.

Every parameter of the function is an input port (its default becomes the port default), except one
annotated with `Context`, which receives the run context. The return value is the single output
`result`, or, when `@node(outputs=[...])` names several, a tuple in that order or a dict by name.
Reading a type never calls the function; `code_hash` fingerprints its source so the cache notices edits.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .context import Context
from .port_types import ANY, literal_choices, type_name


class _NoDefault:
    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __reduce__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True, slots=True)
class PortSpec:
    name: str
    type: str = ANY
    default: Any = NO_DEFAULT
    many: bool = False
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    widget: str | None = None  # a hint for the inspector: "path", "text", "json"
    description: str = ""
    nullable: bool = False  # the hint is Optional[...]: null is an acceptable value

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT and not self.many

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(frozen=True)
class NodeType:
    name: str
    func: Callable[..., Any]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    category: str = "python"
    description: str = ""
    icon: str | None = None
    context_param: str | None = None
    code_hash: str = ""
    origin: str = "builtin"  # builtin | py | entry_point
    # set when the type was read from source in an untrusted folder: what was not checked, and why
    note: str = ""
    _inputs_by_name: dict[str, PortSpec] = field(default_factory=dict, repr=False, compare=False)
    _outputs_by_name: dict[str, PortSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._inputs_by_name.update({p.name: p for p in self.inputs})
        self._outputs_by_name.update({p.name: p for p in self.outputs})

    def input(self, name: str) -> PortSpec | None:
        return self._inputs_by_name.get(name)

    def output(self, name: str) -> PortSpec | None:
        return self._outputs_by_name.get(name)

    @property
    def title(self) -> str:
        return self.name.rsplit(":", 1)[-1].rsplit(".", 1)[-1].replace("_", " ")

    def split_outputs(self, value: Any) -> dict[str, Any]:
        """Map a function's return value onto the output ports."""
        names = [p.name for p in self.outputs]
        if not names:
            return {}
        if len(names) == 1:
            return {names[0]: value}
        if isinstance(value, Mapping) and set(value) >= set(names):
            return {n: value[n] for n in names}
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(names):
            return dict(zip(names, value, strict=True))
        raise TypeError(
            f"node type {self.name} must return a tuple of {len(names)} values or a dict with keys "
            f"{', '.join(names)}; got {type(value).__name__}"
        )


@dataclass(frozen=True)
class NodeMeta:
    """What `@node` attaches to a function (`func.__nodeloom__`)."""

    name: str | None = None
    outputs: tuple[str, ...] | None = None
    output_types: Mapping[str, str] | None = None
    many: tuple[str, ...] = ()
    category: str | None = None
    description: str | None = None
    icon: str | None = None
    ports: Mapping[str, Mapping[str, Any]] | None = None


def source_hash(func: Callable[..., Any]) -> str:
    """A fingerprint of a function's source (falls back to its bytecode when the source is unavailable).

    A `functools.partial` is fingerprinted by its function and bound arguments, never by its address.
    """
    target: Any = inspect.unwrap(func)
    bound = ""
    while isinstance(target, functools.partial):
        bound += repr((target.args, sorted(target.keywords.items())))
        target = inspect.unwrap(target.func)
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        text = repr((code.co_code, code.co_consts)) if code is not None else _stable_name(target)
    return hashlib.sha256((text + bound).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _stable_name(obj: Any) -> str:
    """A process-independent name for an object without source (a builtin, an instance)."""
    kind = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', type(kind).__name__)}"


def _first_doc_line(func: Callable[..., Any]) -> str:
    doc = inspect.getdoc(func) or ""
    return doc.strip().split("\n\n", 1)[0].replace("\n", " ")


def _hint_source(func: Callable[..., Any]) -> Any:
    """The object whose annotations describe `func`'s parameters (a partial's function, a class's __init__)."""
    target: Any = func
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, type):
        return getattr(target, "__init__")  # noqa: B009 - `target.__init__` reads as an instance access to mypy
    if not inspect.isroutine(target):
        return type(target).__call__
    return target


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Resolved type hints; when some cannot be resolved, each annotation on its own (else its text)."""
    target = _hint_source(func)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable forward references: resolve what can be resolved
        raw = getattr(target, "__annotations__", None)
        if not isinstance(raw, dict):
            return {}
        namespace = dict(getattr(target, "__globals__", None) or {})
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str):
                with contextlib.suppress(Exception):  # unresolvable: the text becomes the port type
                    value = eval(value, namespace)  # noqa: S307 - what typing.get_type_hints does too
            out[key] = value
        return out


def _is_context(hint: Any) -> bool:
    if hint is Context or (
        isinstance(hint, str) and hint.rsplit(".", 1)[-1].removesuffix(" | None") == "Context"
    ):
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return len(args) == 1 and _is_context(args[0])
    return False


def _is_optional(hint: Any) -> bool:
    if typing.get_origin(hint) is typing.Annotated:
        return _is_optional(typing.get_args(hint)[0])
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


_PORT_OPTIONS = frozenset({"type", "choices", "minimum", "maximum", "widget", "description", "nullable"})


def _check_meta(meta: NodeMeta, ports: set[str], name: str) -> None:
    """Catch `@node` options that name nothing (usually typos) before they silently do nothing."""
    for port in meta.many:
        if port not in ports:
            raise TypeError(f"{name}: many= names '{port}', which is not a parameter")
    for port, options in (meta.ports or {}).items():
        if port not in ports:
            raise TypeError(f"{name}: ports= names '{port}', which is not a parameter")
        unknown = sorted(set(options) - _PORT_OPTIONS)
        if unknown:
            raise TypeError(f"{name}: ports['{port}'] has unknown option '{unknown[0]}'")
    outputs = meta.outputs if meta.outputs is not None else ("result",)
    for out in outputs:
        if not isinstance(out, str) or not out.isidentifier():
            raise TypeError(f"{name}: output name {out!r} is not an identifier")
    if len(set(outputs)) != len(outputs):
        raise TypeError(f"{name}: output names repeat")
    for out in meta.output_types or {}:
        if out not in outputs:
            raise TypeError(f"{name}: output_types names '{out}', which is not an output")


def node_type_from_function(func: Callable[..., Any], name: str, origin: str = "py") -> NodeType:
    """Build a NodeType from a function's signature, type hints and `@node` metadata.

    Raises TypeError with a one-line reason for anything that cannot be a node type.
    """
    if not callable(func):
        raise TypeError(f"{name}: a {type(func).__name__} is not callable")
    meta = getattr(func, "__nodeloom__", None)
    if not isinstance(meta, NodeMeta):
        meta = NodeMeta()
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: cannot read its signature: {exc}") from None
    hints = _hints(func)
    _check_meta(
        meta,
        {p.name for p in signature.parameters.values() if not _is_context(hints.get(p.name, p.annotation))},
        name,
    )
    overrides = meta.ports or {}
    inputs: list[PortSpec] = []
    context_param: str | None = None
    for param in signature.parameters.values():
        hint = hints.get(param.name, param.annotation)
        if _is_context(hint):
            context_param = param.name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.kind is param.POSITIONAL_ONLY:
            raise TypeError(f"{name}: positional-only parameter '{param.name}' cannot be a port")
        many = param.name in meta.many
        hint_for_type = hint if hint is not inspect.Parameter.empty else None
        if many and typing.get_origin(hint_for_type) in (list, Sequence, typing.get_origin(Sequence[int])):
            args = typing.get_args(hint_for_type)
            hint_for_type = args[0] if args else None
        default = NO_DEFAULT if param.default is inspect.Parameter.empty else param.default
        extra = dict(overrides.get(param.name, {}))
        choices = extra.pop("choices") if "choices" in extra else literal_choices(hint_for_type)
        try:
            spec = PortSpec(
                name=param.name,
                type=str(extra.pop("type", None) or type_name(hint_for_type)),
                default=default,
                many=many,
                choices=tuple(choices) if choices is not None else None,
                **{"nullable": _is_optional(hint_for_type), **extra},
            )
        except TypeError as exc:
            raise TypeError(f"{name}: port '{param.name}': {exc}") from None
        inputs.append(spec)
    return_hint = hints.get("return", signature.return_annotation)
    if isinstance(func, type):
        return_hint = func
    output_names = meta.outputs if meta.outputs is not None else ("result",)
    output_types = dict(meta.output_types or {})
    outputs = []
    for out in output_names:
        if out in output_types:
            out_type = output_types[out]
        elif len(output_names) == 1 and return_hint is not inspect.Signature.empty:
            out_type = type_name(return_hint)
        else:
            out_type = ANY
        outputs.append(PortSpec(name=out, type=out_type))
    category = meta.category or (name.split(".", 1)[0] if origin != "py" and "." in name else "python")
    return NodeType(
        name=name,
        func=func,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        category=category,
        description=meta.description or _first_doc_line(func),
        icon=meta.icon,
        context_param=context_param,
        code_hash=source_hash(func),
        origin=origin,
    )
