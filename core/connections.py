"""Whether a wire may be drawn, and why not: the editor's connection rules, kept out of Qt.

A connection goes from an output port to an input port of another node, between compatible port
types, without closing a cycle, and not twice. Dropping onto an occupied single input is allowed and
replaces the old edge (the editor does both in one undo step); a param on that input is dropped too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NodeTypeError
from .graph import downstream
from .model import Edge, Pipeline
from .node_types import NodeType, PortSpec
from .port_types import compatible
from .registry import Registry


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    reason: str = ""
    replaces: Edge | None = None  # the edge a drop on an occupied single input removes


def check_connection(pipeline: Pipeline, registry: Registry, edge: Edge) -> ConnectionCheck:
    if edge.src == edge.dst:
        return ConnectionCheck(False, "a node cannot feed itself")
    try:
        src_type = registry.get(pipeline.node(edge.src).type)
        dst_type = registry.get(pipeline.node(edge.dst).type)
    except NodeTypeError as exc:
        return ConnectionCheck(False, str(exc))
    out_port = src_type.output(edge.src_port)
    in_port = dst_type.input(edge.dst_port)
    if out_port is None:
        return ConnectionCheck(False, f"'{edge.src}' has no output '{edge.src_port}'")
    if in_port is None:
        return ConnectionCheck(False, f"'{edge.dst}' has no input '{edge.dst_port}'")
    if edge in pipeline.edges:
        return ConnectionCheck(False, "already connected")
    if not compatible(out_port.type, in_port.type):
        return ConnectionCheck(False, f"{out_port.type} does not fit {in_port.type}")
    if edge.src in downstream(pipeline, [edge.dst]):
        return ConnectionCheck(False, "would create a cycle")
    replaces = None
    if not in_port.many:
        existing = pipeline.edges_into(edge.dst, edge.dst_port)
        replaces = existing[0] if existing else None
    return ConnectionCheck(True, replaces=replaces)


def accepting_inputs(registry: Registry, out_type: str) -> list[tuple[NodeType, PortSpec]]:
    """Every (node type, input port) a value of `out_type` may flow into: the quick-add list for a dropped wire."""
    found = []
    for node_type in registry.all():
        for port in node_type.inputs:
            if compatible(out_type, port.type):
                found.append((node_type, port))
                break
    return found


def providing_outputs(registry: Registry, in_type: str) -> list[tuple[NodeType, PortSpec]]:
    """Every (node type, output port) that may feed an input of `in_type` (a wire dragged backwards)."""
    found = []
    for node_type in registry.all():
        for port in node_type.outputs:
            if compatible(port.type, in_type):
                found.append((node_type, port))
                break
    return found
