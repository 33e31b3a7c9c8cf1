"""`nodeloom export --to python`: a plain script that calls each node function once, in dependency order.

It depends on nothing of Nodeloom but the node functions (and `Context.detached()` for those that take a
context): the pipeline's parameters are `argparse` options, multi-output nodes are unpacked the way the
engine does it, `many` inputs are lists in edge order, and the outputs nothing consumes are printed.
"""

from __future__ import annotations

from .graph_code import (
    Arg,
    Const,
    ExportGraph,
    ExportNode,
    Names,
    ParamRef,
    Wire,
    assign_aliases,
    call_source,
    dict_source,
    literal,
    module_source,
    node_title,
)

GLOBALS = {
    "argparse", "importlib", "json", "os", "sys", "Any", "Mapping", "Sequence", "Context", "PARAMETERS",
    "json_or_text", "parse_parameters", "outputs_of", "show", "run_pipeline", "main", "params",
}  # fmt: skip


def generate(graph: ExportGraph, out_path: str | None = None) -> str:
    names = Names(GLOBALS)
    assign_aliases(graph, names)
    var_of = {nid: names.new(nid) for nid in graph.nodes}
    usage = "Run: python THIS_FILE.py [--PARAMETER VALUE ...] (--help lists the parameters)."
    return module_source(graph, "python", usage, out_path, [_run_function(graph, var_of), MAIN])


def _run_function(graph: ExportGraph, var_of: dict[str, str]) -> str:
    lines = [
        "def run_pipeline(params: dict[str, Any]) -> dict[str, Any]:",
        '    """Every node once, in dependency order; returns the outputs no node consumes, by "node.port"."""',
    ]
    for node in graph.nodes.values():
        lines += ["    " + line for line in _node_lines(node, graph, var_of)]
    results = [
        f"{literal(f'{nid}.{port}')}: {_output_expr(nid, port, graph, var_of)}" for nid, port in graph.sinks
    ]
    lines += dict_source("    ", "return ", results)
    return "\n".join(lines)


def _node_lines(node: ExportNode, graph: ExportGraph, var_of: dict[str, str]) -> list[str]:
    lines = [f"# {node_title(node)}"]
    if node.retries or node.timeout_s is not None:
        kept = f"retries {node.retries}" + (
            f", timeout {node.timeout_s:g} s" if node.timeout_s is not None else ""
        )
        lines.append(
            f"# {kept} in the pipeline: a plain script runs it once (--to prefect/airflow keep them)"
        )
    args = [f"{port}={_arg_expr(arg, graph, var_of)}" for port, arg in node.args.items()]
    if node.context_param:
        args.append(f"{node.context_param}=Context.detached({literal(node.id)})")
    if not node.outputs:
        return lines + call_source("", "", node.function.alias, args)
    lines += call_source("", f"{var_of[node.id]} = ", node.function.alias, args)
    if len(node.outputs) > 1:
        outputs = ", ".join(literal(o) for o in node.outputs)
        lines.append(f"{var_of[node.id]} = outputs_of({var_of[node.id]}, {outputs})")
    return lines


def _output_expr(nid: str, port: str, graph: ExportGraph, var_of: dict[str, str]) -> str:
    if len(graph.nodes[nid].outputs) == 1:
        return var_of[nid]
    return f"{var_of[nid]}[{literal(port)}]"


def _arg_expr(arg: Arg, graph: ExportGraph, var_of: dict[str, str]) -> str:
    if isinstance(arg, Const):
        return literal(arg.value)
    if isinstance(arg, ParamRef):
        return f"params[{literal(arg.name)}]"
    if isinstance(arg, Wire):
        return _output_expr(arg.node, arg.port, graph, var_of)
    return "[" + ", ".join(_output_expr(w.node, w.port, graph, var_of) for w in arg) + "]"


MAIN = """def main(argv: list[str] | None = None) -> None:
    for name, value in run_pipeline(parse_parameters(argv)).items():
        print(f"{name} = {show(value)}")


if __name__ == "__main__":
    main()"""
