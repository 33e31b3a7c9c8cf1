"""Semantic validation: every rule the design lists, as structured problems.

`check_file` is what the CLI, the editor and every run use: structural loading problems first, then
these checks. Nothing here calls a node function; resolving `py:` types imports their modules only.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import NodeTypeError, Problem
from .file_format import BAD_REF, PARAM_REF, LoadResult, gc_paused, load_file
from .graph import cycles, topological_order
from .model import Pipeline
from .node_types import NodeType, PortSpec
from .port_types import compatible, json_value_fits
from .registry import Registry, add_import_path, default_registry


def check_file(path: str | os.PathLike[str], registry: Registry | None = None) -> LoadResult:
    """Load and validate a file; `problems` holds everything wrong (empty when the file is runnable)."""
    file = os.fspath(path)
    add_import_path(os.path.dirname(os.path.abspath(file)))
    with gc_paused():
        result = load_file(file)
        if result.pipeline is not None:
            seen = {(p.node, p.field, p.message) for p in result.problems}
            more = validate(result.pipeline, registry, file=file)
            result.problems.extend(p for p in more if (p.node, p.field, p.message) not in seen)
    return result


def validate(pipeline: Pipeline, registry: Registry | None = None, file: str | None = None) -> list[Problem]:
    """Every semantic problem of a structurally loaded pipeline (types, ports, edges, params, cycles)."""
    registry = registry or default_registry()
    problems: list[Problem] = []

    def add(message: str, node: str | None = None, field: str | None = None) -> None:
        problems.append(Problem(message, node, field, file))

    types: dict[str, NodeType] = {}
    resolved: dict[str, NodeType | str] = {}  # type name -> its NodeType or why it failed (looked up once)
    for node in pipeline.nodes.values():
        if not node.type:
            continue
        found = resolved.get(node.type)
        if found is None:
            try:
                found = resolved[node.type] = registry.get(node.type)
            except NodeTypeError as exc:
                found = resolved[node.type] = str(exc)
        if isinstance(found, str):
            add(found, node.id, "type")
        else:
            types[node.id] = found

    fed: dict[tuple[str, str], int] = {}
    get_type = types.get
    for edge in pipeline.edges:
        src_type, dst_type = get_type(edge.src), get_type(edge.dst)
        out_port = src_type.output(edge.src_port) if src_type else None
        in_port = dst_type.input(edge.dst_port) if dst_type else None
        if src_type and out_port is None:
            add(f"edge {edge}: '{edge.src}' ({src_type.name}) has no output '{edge.src_port}'{_ports_hint(src_type.outputs)}", edge.src, "edges")
        if dst_type and in_port is None:
            add(f"edge {edge}: '{edge.dst}' ({dst_type.name}) has no input '{edge.dst_port}'{_ports_hint(dst_type.inputs)}", edge.dst, "edges")
        if in_port is None:
            continue
        key = (edge.dst, edge.dst_port)
        count = fed[key] = fed.get(key, 0) + 1
        if count == 2 and not in_port.many:
            add(f"input '{edge.dst_port}' has more than one incoming edge (only 'many' inputs take several)", edge.dst, f"params.{edge.dst_port}")
        if out_port is not None and out_port.type != in_port.type and not compatible(out_port.type, in_port.type):
            add(f"edge {edge}: output type '{out_port.type}' does not fit input type '{in_port.type}'", edge.dst, "edges")

    required: dict[str, tuple[str, ...]] = {}
    parameters = pipeline.parameters
    for node in pipeline.nodes.values():
        node_type = get_type(node.id)
        if node_type is None:
            continue
        for port_name, value in node.params.items():
            port = node_type.input(port_name)
            if port is None:
                add(f"param '{port_name}': no such input{_ports_hint(node_type.inputs)}", node.id, f"params.{port_name}")
                continue
            if (node.id, port_name) in fed:
                add(f"param '{port_name}': the input is also fed by an edge; remove one", node.id, f"params.{port_name}")
                continue
            message = check_param_value(port, value, parameters)
            if message:
                add(f"param '{port_name}': {message}", node.id, f"params.{port_name}")
        needed = required.get(node_type.name)
        if needed is None:
            needed = required[node_type.name] = tuple(p.name for p in node_type.inputs if p.required)
        for name in needed:
            if name not in node.params and (node.id, name) not in fed:
                add(f"required input '{name}' has no edge and no param", node.id, f"params.{name}")

    if topological_order(pipeline) is None:
        for cycle in cycles(pipeline):
            add("cycle: " + " -> ".join([*cycle, cycle[0]]), cycle[0], "edges")
    return problems


def check_param_value(port: PortSpec, value: Any, parameters: dict[str, Any]) -> str | None:
    """Why `value` does not fit `port` (after resolving a `$param`), or None when it does."""
    if isinstance(value, dict) and PARAM_REF in value:
        name = value[PARAM_REF]
        if len(value) != 1 or not isinstance(name, str):
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


def _check_one(port: PortSpec, value: Any) -> str | None:
    if value is None and (port.nullable or (port.has_default and port.default is None)):
        return None
    if not json_value_fits(value, port.type):
        return f"expected {port.type}, got {_json_kind(value)}"
    if port.choices is not None and value not in port.choices:
        return f"{value!r} is not one of {', '.join(map(repr, port.choices))}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if port.minimum is not None and value < port.minimum:
            return f"{value} is below the minimum {port.minimum}"
        if port.maximum is not None and value > port.maximum:
            return f"{value} is above the maximum {port.maximum}"
    return None


def _json_kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _ports_hint(ports: tuple[PortSpec, ...]) -> str:
    names = [p.name for p in ports]
    return f" (has: {', '.join(names)})" if names else " (it has none)"
