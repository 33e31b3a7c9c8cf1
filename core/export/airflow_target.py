"""`nodeloom export --to airflow`: an Airflow 3 DAG (`airflow.sdk` `@dag` of `@task`s).

Each task carries its node's retries, retry delay and `execution_timeout`. Values cross tasks through
XCom, which Airflow stores as JSON, so every result goes through a small codec written into the file:
JSON values pass as they are; tuples, dicts with non-text keys, bytes, whole and non-finite floats (XCom's store would turn 5.0 into 5) and numpy
arrays and scalars travel as tagged JSON (arrays as their raw bytes in base64, so values come back
bit for bit); nothing is ever pickled. Any other value fails its task with one line naming the node and
the output (`node 'fit', output 'model': a RandomForestClassifier cannot be passed ...`).

Pipeline parameters are DAG params (`--NAME VALUE` when running the file, `dag_run.conf` otherwise);
a task reads them at run time. `python FILE.py` runs the DAG once with `dag.test()`, then a last task,
`nodeloom_outputs`, prints the outputs nothing consumes.
"""

from __future__ import annotations

import re

from .graph_code import (
    ExportGraph,
    Names,
    assign_aliases,
    call_source,
    docstring_text,
    literal,
    module_source,
    node_title,
)
from .task_code import TaskSpec, sink_expr, task_specs

GLOBALS = {
    "argparse", "base64", "importlib", "json", "math", "os", "sys", "Any", "Mapping", "Sequence", "Context",
    "PARAMETERS", "json_or_text", "parse_parameters", "outputs_of", "show", "main", "dag", "task",
    "timedelta", "get_current_context", "param", "to_xcom", "from_xcom", "TAG", "nodeloom_outputs",
}  # fmt: skip


def generate(graph: ExportGraph, out_path: str | None = None) -> str:
    names = Names(GLOBALS)
    assign_aliases(graph, names)
    dag_function = names.new(graph.name or "pipeline")
    specs = task_specs(graph, names, param_expr=lambda name: f"param({literal(name)})")
    stdlib = ("import base64", "import math") + (("from datetime import timedelta",) if graph.nodes else ())
    usage = (
        "Put this file in Airflow's dags folder, or run it once locally: python THIS_FILE.py [--PARAMETER VALUE ...]\n"
        "(needs `pip install 'apache-airflow>=3,<4'`, then `airflow db migrate` and `airflow dags reserialize`\n"
        "with this file in $AIRFLOW_HOME/dags). XCom values are JSON: numpy arrays, tuples and bytes are\n"
        "encoded without pickle; any other kind of value stops its task with an error naming the node."
    )
    definitions = [PARAM, TO_XCOM, FROM_XCOM, PANDAS]
    definitions += [_task_source(spec) for spec in specs]
    definitions.append(_outputs_task(graph))
    definitions.append(_dag_source(graph, specs, dag_function))
    definitions.append(MAIN.replace("DAG_OBJECT", f"{dag_function}_dag"))
    return module_source(
        graph,
        "airflow",
        usage,
        out_path,
        definitions,
        stdlib=stdlib,
        third_party=("from airflow.sdk import dag, get_current_context, task",),
        constants=('TAG = "__nodeloom_xcom__"',),
    )


def _seconds(value: float) -> str:
    return f"timedelta(seconds={literal(value)})"


def _task_source(spec: TaskSpec) -> str:
    node = spec.node
    options = [
        f"task_id={literal(node.id)}",
        f"retries={node.retries}",
        f"retry_delay={_seconds(node.retry_delay_s)}",
    ]
    if node.timeout_s is not None:
        options.append(f"execution_timeout={_seconds(node.timeout_s)}")
    args = list(spec.upstream_args.values())
    lines = [
        f"@task({', '.join(options)})",
        f"def {spec.function_name}({', '.join(f'{a}: Any' for a in args)}) -> Any:",
        f'    """{docstring_text(node_title(node))}"""',
    ]
    lines += [f"    {a} = from_xcom({a})" for a in args]
    body = spec.body
    if node.outputs:  # the value goes through the XCom codec, which names the node if it cannot pass
        single = literal(node.outputs[0]) if len(node.outputs) == 1 else "None"  # None: a dict by output name
        last = body[-1].removeprefix("    return ")
        if len(body) == 1 or body[-1].startswith("    return outputs_of("):
            body = [*body[:-1], f"    return to_xcom({last}, {literal(node.id)}, {single})"]
        else:  # a long call spread over lines: name the result first
            body = [
                body[0].replace("    return ", "    value = ", 1),
                *body[1:],
                f"    return to_xcom(value, {literal(node.id)}, {single})",
            ]
    lines += body
    return "\n".join(lines)


def _outputs_task(graph: ExportGraph) -> str:
    picks = "".join(
        f"        {literal(f'{nid}.{port}')}: {sink_expr(nid, port, graph, f'results[{literal(nid)}]')},\n"
        for nid, port in graph.sinks
    )
    return (
        '@task(task_id="nodeloom_outputs")\n'
        "def nodeloom_outputs(results: dict[str, Any]) -> None:\n"
        '    """Print the outputs no node consumes (what `nodeloom run` shows last)."""\n'
        "    results = from_xcom(results)\n"
        "    outputs = {\n" + picks + "    }\n"
        "    for name, value in outputs.items():\n"
        '        print(f"{name} = {show(value)}", flush=True)'
    )


def _dag_source(graph: ExportGraph, specs: list[TaskSpec], dag_function: str) -> str:
    dag_id = re.sub(r"[^\w.-]", "_", graph.name or "pipeline")[:250] or "pipeline"
    lines = [
        f"@dag(dag_id={literal(dag_id)}, schedule=None, catchup=False, params=PARAMETERS)",
        f"def {dag_function}() -> None:",
        '    """Each node a task; Airflow runs a task once the tasks it takes values from are done."""',
    ]
    values = Names({dag_function})
    value_of = {spec.node.id: values.new(spec.node.id) for spec in specs}
    consumed = {up for spec in specs for up in spec.upstream_args}
    for spec in specs:
        args = [f"{arg}={value_of[up]}" for up, arg in spec.upstream_args.items()]
        head = (
            "" if spec.node.id not in consumed and not spec.node.outputs else f"{value_of[spec.node.id]} = "
        )
        lines += call_source("    ", head, spec.function_name, args)
    sink_nodes = list(
        dict.fromkeys(nid for nid, _port in graph.sinks)
    )  # XComArgs pass whole: ports picked inside
    results = [f"{literal(n)}: {value_of[n]}" for n in sink_nodes]
    one = f"    nodeloom_outputs({{{', '.join(results)}}})"
    if len(one) <= 100:
        lines.append(one)
    else:
        lines += [
            "    nodeloom_outputs(",
            "        {",
            *(f"            {r}," for r in results),
            "        }",
            "    )",
        ]
    lines += ["", "", f"{dag_function}_dag = {dag_function}()"]
    return "\n".join(lines)


PARAM = '''def param(name: str) -> Any:
    """A pipeline parameter of this DAG run (its default, or the value given in the run's conf)."""
    return get_current_context()["params"][name]'''

TO_XCOM = '''def to_xcom(value: Any, node: str, output: str | None, path: str = "") -> Any:
    """`value` as plain JSON for XCom, without pickle; raises TypeError naming the node for anything else."""
    if value is None or type(value) in (str, int, bool):
        return value
    if type(value) is float:  # 5.0 would come back as 5 from XCom's JSON store: whole floats are tagged
        return value if math.isfinite(value) and not value.is_integer() else {TAG: "float", "text": repr(value)}
    if type(value) is list:
        return [to_xcom(v, node, output, f"{path}[{i}]") for i, v in enumerate(value)]
    if type(value) is tuple:
        items = [to_xcom(v, node, output, f"{path}[{i}]") for i, v in enumerate(value)]
        return {TAG: "tuple", "items": items}
    if type(value) is dict:
        if output is None and not path:  # a multi-output node's outputs: name each in errors
            return {k: to_xcom(v, node, k) for k, v in value.items()}
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: to_xcom(v, node, output, f"{path}[{k!r}]") for k, v in value.items()}
        pairs = [[to_xcom(k, node, output, path), to_xcom(v, node, output, f"{path}[{k!r}]")] for k, v in value.items()]
        return {TAG: "dict", "items": pairs}
    if type(value) in (bytes, bytearray):
        return {TAG: "bytes", "data": base64.b64encode(value).decode("ascii")}
    numeric = getattr(value, "dtype", None) is not None and value.dtype.kind not in "OV"  # no object arrays
    if type(value).__module__ == "numpy" and numeric:
        kind = "ndarray" if type(value).__name__ == "ndarray" else "scalar"
        data = base64.b64encode(value.tobytes()).decode("ascii")
        return {TAG: kind, "dtype": value.dtype.str, "shape": list(getattr(value, "shape", ())), "data": data}
    if type(value).__module__.startswith("pandas") and type(value).__name__ in ("DataFrame", "Series"):
        return pandas_to_xcom(value, node, output, path)
    where = f"node {node!r}" + (f", output {output!r}" if output else "") + path
    raise TypeError(
        f"{where}: a {type(value).__module__}.{type(value).__qualname__} cannot be passed between Airflow "
        "tasks (XCom here carries JSON values, tuples, bytes and numpy arrays, never pickles)"
    )'''

FROM_XCOM = '''def from_xcom(value: Any) -> Any:
    """The value `to_xcom` encoded, restored exactly (arrays bit for bit)."""
    if type(value) is list:
        return [from_xcom(v) for v in value]
    if type(value) is not dict:
        return value
    kind = value.get(TAG)
    if kind is None:
        return {k: from_xcom(v) for k, v in value.items()}
    if kind == "float":
        return float(value["text"])
    if kind == "tuple":
        return tuple(from_xcom(v) for v in value["items"])
    if kind == "dict":
        return {from_xcom(k): from_xcom(v) for k, v in value["items"]}
    if kind == "bytes":
        return base64.b64decode(value["data"])
    if kind in ("frame", "series", "column", "categorical", "range"):
        return pandas_from_xcom(value)
    import numpy  # only DAGs passing arrays need numpy

    array = numpy.frombuffer(base64.b64decode(value["data"]), dtype=numpy.dtype(value["dtype"]))
    array = array.reshape(value["shape"]).copy()
    return array if kind == "ndarray" else array[()]'''

PANDAS = '''def pandas_to_xcom(value: Any, node: str, output: str | None, path: str) -> Any:
    """A DataFrame or Series column by column: numbers as raw bytes, anything else as values, dtypes kept."""

    def column(values: Any, where: str) -> Any:
        dtype = values.dtype
        if getattr(dtype, "kind", "O") in "biufcmM" and type(dtype).__module__.startswith("numpy"):
            return {TAG: "column", "dtype": str(dtype), "array": to_xcom(values.to_numpy(), node, output, where)}
        if str(dtype) == "category":  # categories and order kept even when some are absent
            codes = to_xcom(values.cat.codes.to_numpy() if hasattr(values, "cat") else values.codes, node, output, where)
            categories = column(dtype.categories, where)
            return {TAG: "categorical", "codes": codes, "categories": categories, "ordered": bool(dtype.ordered)}
        items = to_xcom(values.tolist(), node, output, where)
        return {TAG: "column", "dtype": str(dtype), "items": items}

    def index(idx: Any) -> Any:
        if type(idx).__name__ == "RangeIndex":
            name = to_xcom(idx.name, node, output, path)
            return {TAG: "range", "start": idx.start, "stop": idx.stop, "step": idx.step, "name": name}
        return {**column(idx, f"{path}.index"), "name": to_xcom(idx.name, node, output, path)}

    if type(value).__name__ == "Series":
        name = to_xcom(value.name, node, output, path)
        return {TAG: "series", "name": name, "data": column(value, path), "index": index(value.index)}
    names = [to_xcom(c, node, output, path) for c in value.columns]
    data = [column(value.iloc[:, i], f"{path}[{c!r}]") for i, c in enumerate(value.columns)]
    return {TAG: "frame", "columns": names, "data": data, "index": index(value.index)}


def pandas_from_xcom(value: dict[str, Any]) -> Any:
    """The DataFrame, Series or index `pandas_to_xcom` encoded."""
    import pandas  # only DAGs passing tables need pandas

    kind = value[TAG]
    if kind == "range":
        name = from_xcom(value["name"])
        return pandas.RangeIndex(value["start"], value["stop"], value["step"], name=name)
    if kind == "categorical":
        categories = pandas_from_xcom(value["categories"])
        codes = from_xcom(value["codes"])
        return pandas.Categorical.from_codes(codes, categories=categories, ordered=value["ordered"])
    if kind == "column":
        data = from_xcom(value["array"]) if "array" in value else from_xcom(value["items"])
        array = pandas.array(data, dtype=value["dtype"])
        return pandas.Index(array, name=from_xcom(value["name"])) if "name" in value else array
    index = pandas_from_xcom(value["index"])
    if kind == "series":
        data = pandas_from_xcom(value["data"])
        return pandas.Series(data, index=index, name=from_xcom(value["name"]))
    columns = [from_xcom(c) for c in value["columns"]]
    frame = pandas.DataFrame(dict(enumerate(pandas_from_xcom(d) for d in value["data"])), index=index)
    frame.columns = pandas.Index(columns) if columns else frame.columns
    return frame'''

MAIN = """def main(argv: list[str] | None = None) -> None:
    params = parse_parameters(argv)
    run = DAG_OBJECT.test(run_conf=params)
    if str(getattr(run, "state", "success")) not in ("success", "DagRunState.SUCCESS"):
        raise SystemExit(f"the DAG run ended {run.state}")


if __name__ == "__main__":
    main()"""
