"""The run plan: a validated snapshot of a pipeline, resolved for execution.

Building a plan applies parameter overrides (an override of an undefined parameter is an error),
validates the result exactly as `nodeloom validate` does, selects `targets` and what they need, resolves
`$param` references to values and lists each node's inputs in edge order (so `many` inputs gather in
the file's edge order). Any problem raises `PipelineError` carrying one `Problem` per line to print.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import PipelineError, Problem
from ..file_format import PARAM_REF
from ..graph import topological_order, upstream
from ..model import Node, Pipeline
from ..node_types import NodeType
from ..registry import Registry, add_import_path, default_registry
from ..validation import validate
from .options import BACKENDS, RunOptions


@dataclass
class NodePlan:
    node: Node
    node_type: NodeType
    params: dict[str, Any]  # resolved values for ports no edge feeds
    edge_inputs: list[tuple[str, bool, list[tuple[str, str]]]]  # (port, many, [(src node, src port)])
    upstream: list[str] = field(default_factory=list)  # distinct direct predecessors, in the plan
    downstream: list[str] = field(default_factory=list)  # distinct direct successors, in the plan


@dataclass
class Plan:
    pipeline: Pipeline
    parameters: dict[str, Any]
    nodes: dict[str, NodePlan]  # selected nodes, in topological order
    file: str | None = None

    def descendants(self, node_id: str) -> list[str]:
        """Everything downstream of node_id (not itself), in plan order."""
        seen: set[str] = set()
        stack = list(self.nodes[node_id].downstream)
        while stack:
            nid = stack.pop()
            if nid not in seen:
                seen.add(nid)
                stack.extend(self.nodes[nid].downstream)
        return [nid for nid in self.nodes if nid in seen]

    def with_descendants(self, node_ids: set[str]) -> set[str]:
        found = set(node_ids) & set(self.nodes)
        for nid in list(found):
            found.update(self.descendants(nid))
        return found


def resolve_value(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and len(value) == 1 and PARAM_REF in value:
        return parameters[value[PARAM_REF]]
    return value


_IMMUTABLE = (str, int, float, bool, type(None))


def fast_copy(pipeline: Pipeline) -> Pipeline:
    """The same snapshot as `Pipeline.copy()` (minus `ui`, which the engine ignores), several times faster
    on big pipelines: only mutable param values are deep-copied."""
    clone = Pipeline(pipeline.name, pipeline.description, copy.deepcopy(pipeline.parameters))
    clone.nodes = {
        nid: Node(
            id=n.id,
            type=n.type,
            label=n.label,
            retries=n.retries,
            retry_delay_s=n.retry_delay_s,
            timeout_s=n.timeout_s,
            cache=n.cache,
            disabled=n.disabled,
            params={k: v if type(v) in _IMMUTABLE else copy.deepcopy(v) for k, v in n.params.items()},
        )
        for nid, n in pipeline.nodes.items()
    }
    clone.edges = list(pipeline.edges)
    return clone


def build_plan(pipeline: Pipeline, options: RunOptions, registry: Registry | None = None) -> Plan:
    registry = registry or default_registry()
    file = options.file
    if file:
        add_import_path(os.path.dirname(os.path.abspath(file)))
    snapshot = fast_copy(pipeline)
    problems: list[Problem] = []
    if options.backend not in BACKENDS:
        problems.append(
            Problem(f"unknown backend '{options.backend}' (use {' or '.join(BACKENDS)})", file=file)
        )
    for name in options.overrides:
        if name not in snapshot.parameters:
            defined = ", ".join(snapshot.parameters) or "none"
            problems.append(
                Problem(f"--set {name}: no such pipeline parameter (defined: {defined})", file=file)
            )
    for label, names in (("target", options.targets), ("rerun", options.rerun)):
        for name in names:
            if name not in snapshot.nodes:
                problems.append(Problem(f"unknown {label} node '{name}'", file=file))
    if problems:
        raise PipelineError(problems)
    snapshot.parameters.update(options.overrides)
    problems = validate(snapshot, registry, file=file)
    if problems:
        raise PipelineError(problems)

    order = topological_order(snapshot)
    assert order is not None  # validation rejects cycles
    selected = upstream(snapshot, options.targets) if options.targets else set(order)
    nodes: dict[str, NodePlan] = {}
    inputs: dict[str, dict[str, list[tuple[str, str]]]] = {nid: {} for nid in selected}
    for edge in snapshot.edges:
        if edge.dst in selected:
            inputs[edge.dst].setdefault(edge.dst_port, []).append((edge.src, edge.src_port))
    for nid in order:
        if nid not in selected:
            continue
        node = snapshot.nodes[nid]
        node_type = registry.get(node.type)
        params = {port: resolve_value(v, snapshot.parameters) for port, v in node.params.items()}
        edge_inputs = []
        for port, sources in inputs[nid].items():
            spec = node_type.input(port)
            edge_inputs.append((port, bool(spec and spec.many), sources))
        nodes[nid] = NodePlan(node, node_type, params, edge_inputs)
    for nid, node_plan in nodes.items():
        for _port, _many, sources in node_plan.edge_inputs:
            for src, _src_port in sources:
                if src not in node_plan.upstream:
                    node_plan.upstream.append(src)
                    nodes[src].downstream.append(nid)
    return Plan(snapshot, snapshot.parameters, nodes, file)
