"""The run plan: a validated snapshot of a pipeline, resolved for execution.

Building a plan applies parameter overrides (an override of an undefined parameter is an error),
validates the result exactly as `nodeloom validate` does, selects `targets` and what they need, resolves
`$param` references to values and lists each node's inputs in edge order (so `many` inputs gather in
the file's edge order). Any problem raises `PipelineError` carrying one `Problem` per line to print.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PipelineError, Problem
from ..file_format import PARAM_REF
from ..graph import topological_order, upstream
from ..model import Node, Pipeline
from ..node_types import NodeType
from ..registry import Registry, default_registry
from ..validation import validate
from .code_identity import shadowed_modules
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


def gather_inputs(node_plan: NodePlan, outputs: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The node's keyword arguments: its params plus, per input port, the upstream outputs feeding it
    (a `many` port gets the list in edge order). `outputs[node id]` is an upstream node's outputs: the
    run's results, or the cache for `cached_inputs`; a missing one raises KeyError."""
    kwargs = dict(node_plan.params)
    for port, many, sources in node_plan.edge_inputs:
        if many:
            kwargs[port] = [outputs[src][src_port] for src, src_port in sources]
        else:
            src, src_port = sources[0]
            kwargs[port] = outputs[src][src_port]
    return kwargs


def disabled_reasons(plan: Plan) -> dict[str, str]:
    """node id -> why it is skipped before anything runs: "disabled", or "upstream 'x' is disabled"."""
    reasons: dict[str, str] = {}  # in the order a run reports them: a node, then its descendants
    for nid, node_plan in plan.nodes.items():
        if node_plan.node.disabled and nid not in reasons:
            reasons[nid] = "disabled"
            for desc in plan.descendants(nid):
                reasons.setdefault(desc, f"upstream '{nid}' is disabled")
    return reasons


def resolve_value(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and len(value) == 1 and PARAM_REF in value:
        return parameters[value[PARAM_REF]]
    return value


def snapshot_of(pipeline: Pipeline) -> Pipeline:
    """`Pipeline.copy()` without `ui` (the engine ignores it, and positions of 10,000 nodes cost a deep copy)."""
    clone = Pipeline(pipeline.name, pipeline.description, copy.deepcopy(pipeline.parameters))
    clone.nodes = {nid: n.clone() for nid, n in pipeline.nodes.items()}
    clone.edges = list(pipeline.edges)
    return clone


def build_plan(pipeline: Pipeline, options: RunOptions, registry: Registry | None = None) -> Plan:
    registry = registry or default_registry()
    file = options.file
    if file:
        registry.use_folder(os.path.dirname(os.path.abspath(file)))  # only if its trust policy allows
    snapshot = snapshot_of(pipeline)
    problems: list[Problem] = []
    if options.backend not in BACKENDS:
        problems.append(
            Problem(f"unknown backend '{options.backend}' (use {', '.join(BACKENDS)})", file=file)
        )
    if options.scheduler and options.backend != "dask":
        problems.append(
            Problem(f"a scheduler address needs the dask backend, not '{options.backend}'", file=file)
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
    if not problems:  # a same-named module of another project, imported earlier in this process
        problems = shadowed_modules({nid: registry.get(n.type) for nid, n in snapshot.nodes.items()}, file)
    if problems:
        raise PipelineError(problems)

    order = topological_order(snapshot)
    assert order is not None  # validation rejects cycles
    selected = upstream(snapshot, options.targets) if options.targets else None
    inputs: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for edge in snapshot.edges:
        if selected is None or edge.dst in selected:
            inputs.setdefault(edge.dst, {}).setdefault(edge.dst_port, []).append((edge.src, edge.src_port))
    parameters = snapshot.parameters
    nodes: dict[str, NodePlan] = {}
    types: dict[str, tuple[NodeType, frozenset[str]]] = {}  # per type name: the type and its `many` ports
    for nid in order:
        if selected is not None and nid not in selected:
            continue
        node = snapshot.nodes[nid]
        known = types.get(node.type)
        if known is None:
            node_type = registry.get(node.type)
            known = types[node.type] = (node_type, frozenset(p.name for p in node_type.inputs if p.many))
        node_type, many_ports = known
        params = {port: resolve_value(v, parameters) for port, v in node.params.items()}
        edge_inputs = []
        node_upstream: list[str] = []
        for port, sources in inputs.get(nid, {}).items():
            edge_inputs.append((port, port in many_ports, sources))
            for src, _src_port in sources:
                if src not in node_upstream:
                    node_upstream.append(src)
                    nodes[src].downstream.append(nid)
        nodes[nid] = NodePlan(node, node_type, params, edge_inputs, node_upstream, [])
    return Plan(snapshot, parameters, nodes, file)
