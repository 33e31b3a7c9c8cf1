"""Node types: what a node does and which ports it has, read from a plain Python function.

Every parameter of the function is an input port (its default becomes the port default), except one
annotated with `Context`, which receives the run context. The return value is the single output
`result`, or, when `@node(outputs=[...])` names several, a tuple in that order or a dict by name.
Reading a type never calls the function; `code_hash` fingerprints its source so the cache notices edits.
"""

from __future__ import annotations

import hashlib
import inspect
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
    """A fingerprint of a function's source (falls back to its bytecode when the source is unavailable)."""
    target = inspect.unwrap(func)
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        text = repr((code.co_code, code.co_consts)) if code is not None else repr(target)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _first_doc_line(func: Callable[..., Any]) -> str:
    doc = inspect.getdoc(func) or ""
    return doc.strip().split("\n\n", 1)[0].replace("\n", " ")


def node_type_from_function(func: Callable[..., Any], name: str, origin: str = "py") -> NodeType:
    """Build a NodeType from a function's signature, type hints and `@node` metadata."""
    meta: NodeMeta = getattr(func, "__nodeloom__", None) or NodeMeta()
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {name}: {exc}") from exc
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable forward references: fall back to raw annotations
        hints = {k: v for k, v in getattr(func, "__annotations__", {}).items()}
    overrides = meta.ports or {}
    inputs: list[PortSpec] = []
    context_param: str | None = None
    for param in signature.parameters.values():
        hint = hints.get(param.name, param.annotation)
        if hint is Context or (isinstance(hint, str) and hint.rsplit(".", 1)[-1] == "Context"):
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
        spec = PortSpec(
            name=param.name,
            type=extra.pop("type", None) or type_name(hint_for_type),
            default=default,
            many=many,
            choices=tuple(extra.pop("choices")) if "choices" in extra else literal_choices(hint_for_type),
            **extra,
        )
        inputs.append(spec)
    return_hint = hints.get("return", signature.return_annotation)
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
