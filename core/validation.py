"""Semantic validation: every rule the design lists, as structured problems.

`check_file` is what the CLI, the editor and every run use: structural loading problems first, then
these checks. Nothing here calls a node function. Resolving `py:` types imports their modules only when
the trust policy allows it; a type read from source in an untrusted folder is still checked, with one
warning per node saying so, and one that cannot be read without running code is named with the reason
(a warning: the file may well be fine, only the user's trust can tell).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .errors import NodeTypeError, Problem
from .file_format import BAD_REF, LoadResult, gc_paused, load_file
from .file_text import nesting_error
from .graph import cycles, topological_order
from .model import Pipeline
from .node_types import NodeType, PortSpec
from .port_types import JSON_TYPES, compatible, json_value_fits
from .registry import Registry, UncheckedType, default_registry
from .trust import policy_for
from .vocabulary import looks_like_param_ref, param_ref

WARNING = "warning"


def check_file(
    path: str | os.PathLike[str], registry: Registry | None = None, trust: bool = False
) -> LoadResult:
    """Load and validate a file; `problems` holds everything wrong (no errors when the file is runnable).

    Without `trust`, no code from the file's folder (or the current directory) runs: such `py:` types
    are read from source and reported as warnings. `nodeloom run` passes `trust=True`.
    """
    file = os.fspath(path)
    registry = registry or default_registry()
    with gc_paused():
        result = load_file(file)
        if result.pipeline is not None:
            with registry.trusting(policy_for(file, trust)):
                if trust:
                    registry.use_folder(os.path.dirname(os.path.abspath(file)))
                more = validate(result.pipeline, registry, file=file)
            seen = {(p.node, p.field, p.message) for p in result.problems}
            result.problems.extend(p for p in more if (p.node, p.field, p.message) not in seen)
    return result


def errors_of(problems: list[Problem]) -> list[Problem]:
    """The problems that make a file unrunnable (warnings say what could not be checked)."""
    return [p for p in problems if p.severity != WARNING]


def validate(pipeline: Pipeline, registry: Registry | None = None, file: str | None = None) -> list[Problem]:
    """Every semantic problem of a structurally loaded pipeline (types, ports, edges, params, cycles)."""
    problems: list[Problem] = []

    def add(message: str, node: str | None = None, field: str | None = None, severity: str = "error") -> None:
        problems.append(Problem(message, node, field, file, severity))

    for name, value in pipeline.parameters.items():
        deep = nesting_error(value, 2)  # the document and `parameters` are the first two levels
        if deep:
            add(f"parameter '{name}': {deep}", None, "parameters")
    types = _resolve_types(pipeline, registry or default_registry(), add)
    fed = _check_edges(pipeline, types, add)
    _check_params(pipeline, types, fed, add)
    if topological_order(pipeline) is None:
        for cycle in cycles(pipeline):
            add("cycle: " + " -> ".join([*cycle, cycle[0]]), cycle[0], "edges")
    return problems


_Add = Callable[..., None]


def _resolve_types(pipeline: Pipeline, registry: Registry, add: _Add) -> dict[str, NodeType]:
    """Node id -> its NodeType, for the nodes whose type resolves (each type name is looked up once).

    A type read from an untrusted folder's source is used, with its note as a warning on each node; one
    that could not be read at all is a warning too (`UncheckedType`), and its node's ports go unchecked.
    """
    types: dict[str, NodeType] = {}
    resolved: dict[str, NodeType | NodeTypeError] = {}  # type name -> its NodeType or why it failed
    for node in pipeline.nodes.values():
        if not node.type:
            continue
        found = resolved.get(node.type)
        if found is None:
            try:
                found = resolved[node.type] = registry.get(node.type)
            except NodeTypeError as exc:
                found = resolved[node.type] = exc
        if isinstance(found, NodeTypeError):
            add(str(found), node.id, "type", WARNING if isinstance(found, UncheckedType) else "error")
        else:
            types[node.id] = found
            if found.note:
                add(found.note, node.id, "type", WARNING)
    return types


def _check_edges(pipeline: Pipeline, types: dict[str, NodeType], add: _Add) -> dict[str, dict[str, int]]:
    """Check every edge's ports and port types; returns node id -> {input port: number of edges into it}."""
    fed: dict[str, dict[str, int]] = {}
    get_type = types.get
    for edge in pipeline.edges:
        src_type, dst_type = get_type(edge.src), get_type(edge.dst)
        out_port = src_type.output(edge.src_port) if src_type is not None else None
        if src_type is not None and out_port is None:
            add(
                f"edge {edge}: '{edge.src}' ({src_type.name}) has no output '{edge.src_port}'{_ports_hint(src_type.outputs)}",
                edge.src,
                "edges",
            )
        if dst_type is None:
            continue
        in_port = dst_type.input(edge.dst_port)
        if in_port is None:
            add(
                f"edge {edge}: '{edge.dst}' ({dst_type.name}) has no input '{edge.dst_port}'{_ports_hint(dst_type.inputs)}",
                edge.dst,
                "edges",
            )
            continue
        ports = fed.get(edge.dst)
        if ports is None:
            ports = fed[edge.dst] = {}
        count = ports[edge.dst_port] = ports.get(edge.dst_port, 0) + 1
        if count == 2 and not in_port.many:
            add(
                f"input '{edge.dst_port}' has more than one incoming edge (only 'many' inputs take several)",
                edge.dst,
                f"params.{edge.dst_port}",
            )
        if (
            out_port is not None
            and out_port.type != in_port.type
            and not compatible(out_port.type, in_port.type)
        ):
            add(
                f"edge {edge}: output type '{out_port.type}' does not fit input type '{in_port.type}'",
                edge.dst,
                "edges",
            )
    return fed


def _check_params(
    pipeline: Pipeline, types: dict[str, NodeType], fed: dict[str, dict[str, int]], add: _Add
) -> None:
    """Params name real, unfed inputs with fitting values; every required input has a param or an edge."""
    required: dict[str, tuple[str, ...]] = {}
    parameters = pipeline.parameters
    nothing: dict[str, int] = {}
    for node in pipeline.nodes.values():
        node_type = types.get(node.id)
        if node_type is None:
            continue
        fed_ports = fed.get(node.id, nothing)
        params = node.params
        for port_name, value in params.items():
            port = node_type.input(port_name)
            if port is None:
                add(
                    f"param '{port_name}': no such input{_ports_hint(node_type.inputs)}",
                    node.id,
                    f"params.{port_name}",
                )
            elif port_name in fed_ports:
                add(
                    f"param '{port_name}': the input is also fed by an edge; remove one",
                    node.id,
                    f"params.{port_name}",
                )
            else:
                message = check_param_value(port, value, parameters)
                if message:
                    add(f"param '{port_name}': {message}", node.id, f"params.{port_name}")
        needed = required.get(node_type.name)
        if needed is None:
            needed = required[node_type.name] = tuple(p.name for p in node_type.inputs if p.required)
        for name in needed:
            if name not in params and name not in fed_ports:
                add(f"required input '{name}' has no edge and no param", node.id, f"params.{name}")


def check_param_value(port: PortSpec, value: Any, parameters: dict[str, Any]) -> str | None:
    """Why `value` does not fit `port` (after resolving a `$param`), or None when it does."""
    if looks_like_param_ref(value):
        name = param_ref(value)
        if name is None:
            return BAD_REF
        if name not in parameters:
            return f"pipeline parameter '{name}' is not defined"
        value = parameters[name]
    if port.many:
        if not isinstance(value, list):
            return f"expected a list for a 'many' input, got {_json_kind(value)}"
        for index, item in enumerate(value):
            message = _check_one(port, item)
            if message:
                return f"item {index}: {message}"
        return None
    return _check_one(port, value)


# (Python type of a JSON value, port type) pairs that always fit
_FITS = frozenset(
    [
        (int, "int"),
        (int, "float"),
        (float, "float"),
        (str, "str"),
        (str, "path"),
        (bool, "bool"),
        (list, "list"),
        (dict, "dict"),
    ]
)


def _check_one(port: PortSpec, value: Any) -> str | None:
    unbounded = port.choices is None and port.minimum is None and port.maximum is None
    if unbounded and (port.type not in JSON_TYPES or (type(value), port.type) in _FITS):  # the common case
        return None
    if value is None and (port.nullable or (port.has_default and port.default is None)):
        return None
    if not json_value_fits(value, port.type):
        return f"expected {port.type}, got {_json_kind(value)}"
    if port.choices is not None and value not in port.choices:
        return f"{value!r} is not one of {', '.join(map(repr, port.choices))}"
    if type(value) in (int, float):
        if port.minimum is not None and value < port.minimum:
            return f"{value} is below the minimum {port.minimum}"
        if port.maximum is not None and value > port.maximum:
            return f"{value} is above the maximum {port.maximum}"
    return None


def _json_kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), "null" if value is None else type(value).__name__)


def _ports_hint(ports: tuple[PortSpec, ...]) -> str:
    names = [p.name for p in ports]
    return f" (has: {', '.join(names)})" if names else " (it has none)"
