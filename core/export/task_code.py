"""What the orchestrator targets share: one task function per node, fed by its upstream nodes' results.

A task takes one argument per distinct upstream node (that node's result: a bare value for one output,
a dict by output name for several) plus, for Prefect, one per `$param`-bound port; its body calls the
node function with constants written in, picks ports out of the upstream results and returns the
node's result. Names never collide with the globals of the generated file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .graph_code import Arg, Const, ExportGraph, ExportNode, Names, ParamRef, Wire, call_source, literal


@dataclass
class TaskSpec:
    node: ExportNode
    function_name: str  # the task function's name
    upstream_args: dict[str, str]  # upstream node id -> argument name
    param_args: dict[str, str]  # port bound to a $param -> argument name (targets passing params as args)
    body: list[str]  # the task body's lines (indented): the node function call, and the return


def task_specs(
    graph: ExportGraph,
    names: Names,
    param_expr: Callable[[str], str] | None = None,
) -> list[TaskSpec]:
    """`param_expr(name)` spells a parameter read inside the task; None passes each one in as an argument."""
    function_names = {nid: names.new(f"{nid}_task") for nid in graph.nodes}
    specs = []
    for node in graph.nodes.values():
        local = Names(set(names.taken))
        upstream_args = {u: local.new(u) for u in node.upstream}
        param_args: dict[str, str] = {}
        if param_expr is None:
            param_args = {p: local.new(p) for p, a in node.args.items() if isinstance(a, ParamRef)}

        def spell(
            arg: Arg,
            port: str,
            upstream_args: dict[str, str] = upstream_args,
            param_args: dict[str, str] = param_args,
        ) -> str:
            if isinstance(arg, Const):
                return literal(arg.value)
            if isinstance(arg, ParamRef):
                return param_expr(arg.name) if param_expr is not None else param_args[port]
            if isinstance(arg, Wire):
                return _pick(arg, graph, upstream_args)
            return "[" + ", ".join(_pick(w, graph, upstream_args) for w in arg) + "]"

        args = [f"{port}={spell(arg, port)}" for port, arg in node.args.items()]
        if node.context_param:
            args.append(f"{node.context_param}=Context.detached({literal(node.id)})")
        specs.append(
            TaskSpec(node, function_names[node.id], upstream_args, param_args, call_lines(node, args, local))
        )
    return specs


def call_lines(node: ExportNode, args: list[str], local: Names, indent: str = "    ") -> list[str]:
    """Call the node function; end with `return VALUE` where VALUE is its result (by name for several)."""
    if not node.outputs:
        return [*call_source(indent, "", node.function.alias, args), f"{indent}return None"]
    if len(node.outputs) == 1:
        return call_source(indent, "return ", node.function.alias, args)
    value = local.new("value")
    outputs = ", ".join(literal(o) for o in node.outputs)
    return [
        *call_source(indent, f"{value} = ", node.function.alias, args),
        f"{indent}return outputs_of({value}, {outputs})",
    ]


def _pick(wire: Wire, graph: ExportGraph, upstream_args: dict[str, str]) -> str:
    name = upstream_args[wire.node]
    return name if len(graph.nodes[wire.node].outputs) == 1 else f"{name}[{literal(wire.port)}]"


def sink_expr(nid: str, port: str, graph: ExportGraph, value: str) -> str:
    return value if len(graph.nodes[nid].outputs) == 1 else f"{value}[{literal(port)}]"
