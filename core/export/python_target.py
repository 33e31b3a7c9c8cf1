"""`nodeloom export --to python`: a plain script that calls each node function once, in dependency order.

It depends on nothing of Nodeloom but the node functions (and `Context.detached()` for those that take a
context): the pipeline's parameters are `argparse` options, multi-output nodes are unpacked the way the
engine does it, `many` inputs are lists in edge order, and the outputs nothing consumes are printed.
"""

from __future__ import annotations

from .graph_code import (
    JSON_OR_TEXT,
    OUTPUTS_OF,
    SHOW,
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
    doc_header,
    import_lines,
    literal,
    parameters_source,
    parse_parameters_source,
    pipeline_folder_expr,
    sort_imports,
)

GLOBALS = {
    "argparse", "importlib", "json", "os", "sys", "Any", "Mapping", "Sequence", "Context", "PARAMETERS",
    "json_or_text", "parse_parameters", "outputs_of", "show", "run_pipeline", "main", "params",
}  # fmt: skip


def generate(graph: ExportGraph, out_path: str | None = None) -> str:
    names = Names(GLOBALS)
    assign_aliases(graph, names)
    var_of = {nid: names.new(nid) for nid in graph.nodes}
    multi = any(len(n.outputs) > 1 for n in graph.nodes.values())
    froms, fetched = import_lines(graph)
    stdlib = ["import argparse", "import json", "from typing import Any"]
    if fetched:
        stdlib += ["import importlib"]
    if graph.uses_pipeline_folder:
        stdlib += ["import os", "import sys"]
    if multi:
        stdlib.append("from collections.abc import Mapping, Sequence")
    third = list(froms)
    if graph.uses_context:
        third.append("from nodeloom.core.context import Context")
    usage = "Run: python THIS_FILE.py [--PARAMETER VALUE ...] (--help lists the parameters)."
    parts = [doc_header(graph, "python", usage), "\n".join(sort_imports(stdlib))]
    if third:
        parts.append("\n".join(sort_imports(third)))
    setup = []
    if graph.uses_pipeline_folder:
        setup.append("# `py:` node modules sit beside the pipeline file, where `nodeloom run` finds them too")
        setup.append(f"sys.path.append({pipeline_folder_expr(graph, out_path)})")
    setup += fetched
    if setup:
        parts.append("\n".join(setup))
    parts.append(parameters_source(graph))
    text = "\n\n".join(parts) + "\n\n\n"
    helpers = [JSON_OR_TEXT, parse_parameters_source(graph.description or graph.name)]
    if multi:
        helpers.append(OUTPUTS_OF)
    helpers += [SHOW, _run_function(graph, var_of), MAIN]
    return text + "\n\n\n".join(helpers) + "\n"


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
    lines = [f"# {node.id}: {node.type_name}" + (f" ({node.label})" if node.label else "")]
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
