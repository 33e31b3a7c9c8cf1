"""`nodeloom export --to prefect`: a Prefect 3 `@flow` with one `@task` per node.

Each task carries its node's retries, retry delay and timeout. The flow submits every task as soon as
it is written (`task.submit`, futures passed as arguments), so Prefect runs independent nodes at the
same time and each waits only for its inputs. The pipeline's parameters are the flow's parameters;
run the file to run the flow (`--NAME VALUE` overrides one, as `nodeloom run --set` does). Task caching
is off (`NO_CACHE`): Nodeloom's cache is keyed on code and inputs, Prefect's default on inputs hashes.
"""

from __future__ import annotations

from .graph_code import (
    ExportGraph,
    Names,
    assign_aliases,
    call_source,
    dict_source,
    docstring_text,
    literal,
    module_source,
    node_title,
)
from .task_code import TaskSpec, sink_expr, task_specs

GLOBALS = {
    "argparse", "importlib", "json", "os", "sys", "Any", "Mapping", "Sequence", "Context", "PARAMETERS",
    "json_or_text", "parse_parameters", "outputs_of", "show", "main", "flow", "task", "NO_CACHE",
}  # fmt: skip


def generate(graph: ExportGraph, out_path: str | None = None) -> str:
    names = Names(GLOBALS)
    assign_aliases(graph, names)
    flow_name = names.new(graph.name or "pipeline")
    specs = task_specs(graph, names)
    flow_locals = Names(set(names.taken))  # the flow's arguments: clear of every global it calls
    param_names = {p: flow_locals.new(p) for p in graph.parameters}
    prefect = ("from prefect import flow, task", "from prefect.cache_policies import NO_CACHE")
    usage = (
        "Run: python THIS_FILE.py [--PARAMETER VALUE ...] (needs `pip install 'prefect>=3,<4'`;\n"
        "without a Prefect server configured, Prefect starts a temporary local one)."
    )
    definitions = [_task_source(spec) for spec in specs]
    definitions.append(_flow_source(graph, specs, flow_name, param_names))
    definitions.append(_main_source(flow_name, param_names))
    return module_source(
        graph,
        "prefect",
        usage,
        out_path,
        definitions,
        third_party=prefect if graph.nodes else ("from prefect import flow",),
    )


def _task_source(spec: TaskSpec) -> str:
    node = spec.node
    options = [
        f"name={literal(node.id)}",
        f"retries={node.retries}",
        f"retry_delay_seconds={literal(node.retry_delay_s)}",
    ]
    if node.timeout_s is not None:
        options.append(f"timeout_seconds={literal(node.timeout_s)}")
    options.append("cache_policy=NO_CACHE")
    params = [f"{a}: Any" for a in [*spec.upstream_args.values(), *spec.param_args.values()]]
    return (
        f"@task({', '.join(options)})\n"
        f"def {spec.function_name}({', '.join(params)}) -> Any:\n"
        f'    """{docstring_text(node_title(node))}"""\n' + "\n".join(spec.body)
    )


def _flow_source(
    graph: ExportGraph, specs: list[TaskSpec], flow_name: str, param_names: dict[str, str]
) -> str:
    signature = [f"{py}: Any = {literal(graph.parameters[p])}" for p, py in param_names.items()]
    head = call_source("", "def ", flow_name, signature)
    head[-1] += " -> dict[str, Any]:"
    lines = [
        f"@flow(name={literal(graph.name or 'pipeline')})",
        *head,
        '    """Submit every node at once; Prefect starts each as soon as its inputs are ready."""',
    ]
    futures = Names(set(param_names.values()) | {flow_name})
    future_of: dict[str, str] = {}
    for spec in specs:
        future_of[spec.node.id] = futures.new(spec.node.id)
    for spec in specs:
        args = [f"{arg}={future_of[up]}" for up, arg in spec.upstream_args.items()]
        args += [
            f"{arg}={param_names[spec.node.args[port].name]}"  # type: ignore[union-attr]
            for port, arg in spec.param_args.items()
        ]
        lines += call_source("    ", f"{future_of[spec.node.id]} = ", f"{spec.function_name}.submit", args)
    consumed = {up for spec in specs for up in spec.upstream_args}
    for spec in specs:  # a node with no outputs and no consumer: wait for it, so its failure fails the flow
        if not spec.node.outputs and spec.node.id not in consumed:
            lines.append(f"    {future_of[spec.node.id]}.result()")
    results = [
        f"{literal(f'{nid}.{port}')}: {sink_expr(nid, port, graph, future_of[nid] + '.result()')}"
        for nid, port in graph.sinks
    ]
    lines += dict_source("    ", "return ", results)
    return "\n".join(lines)


def _main_source(flow_name: str, param_names: dict[str, str]) -> str:
    call = call_source(
        "    ", "outputs = ", flow_name, [f"{py}=params[{literal(p)}]" for p, py in param_names.items()]
    )
    return (
        "def main(argv: list[str] | None = None) -> None:\n"
        + (
            "    params = parse_parameters(argv)\n"
            if param_names
            else "    parse_parameters(argv)  # --help\n"
        )
        + "\n".join(call)
        + "\n"
        "    for name, value in outputs.items():\n"
        '        print(f"{name} = {show(value)}")\n'
        "\n\n"
        'if __name__ == "__main__":\n'
        "    main()"
    )
