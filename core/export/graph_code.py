"""From a pipeline to the pieces every export target writes: imports, names, arguments, order.

The plan is built exactly as `nodeloom run` builds one (`build_plan`: same validation, same `many`
gathering in edge order, the pipeline folder on the import path), then disabled nodes and everything
downstream of them are dropped, as the engine skips them. Each remaining node becomes an `ExportNode`
whose arguments are `Const`, `ParamRef`, `Wire` or a list of wires (a `many` port), so a target only
decides how to spell them. A node function that cannot be imported again by module and name (a lambda,
a closure, something defined in `__main__`) raises `ExportError` naming the node.
"""

from __future__ import annotations

import builtins
import importlib
import json
import keyword
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..engine.options import RunOptions
from ..engine.plan import Plan, build_plan
from ..errors import NodeloomError
from ..model import Pipeline
from ..registry import PY_PREFIX, Registry
from ..vocabulary import param_ref


class ExportError(NodeloomError):
    """A pipeline (or one node of it) that the chosen target cannot express; the message is one line."""


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class ParamRef:
    name: str


@dataclass(frozen=True)
class Wire:
    node: str
    port: str


Arg = Const | ParamRef | Wire | list[Wire]


@dataclass
class FunctionRef:
    """Where a node function is imported from: `from module import qualname` (or `py:` via sys.path)."""

    module: str
    qualname: str
    from_pipeline_folder: bool  # a `py:` type: its module is found beside the pipeline file
    alias: str = ""  # the name the generated code calls it by
    module_var: str = ""  # for functions fetched after sys.path is set: the name their module is bound to


@dataclass
class ExportNode:
    id: str
    type_name: str
    function: FunctionRef
    args: dict[str, Arg]
    outputs: list[str]
    context_param: str | None
    retries: int
    retry_delay_s: float
    timeout_s: float | None
    label: str | None
    upstream: list[str] = field(default_factory=list)  # distinct direct predecessors, in plan order


@dataclass
class ExportGraph:
    name: str
    description: str
    parameters: dict[str, Any]
    nodes: dict[str, ExportNode]  # topological order
    sinks: list[tuple[str, str]]  # (node, port) nobody in the export consumes: what the script reports
    left_out: list[str]  # disabled nodes and their descendants
    file: str | None

    @property
    def functions(self) -> list[FunctionRef]:
        seen: dict[tuple[str, str], FunctionRef] = {}
        for node in self.nodes.values():
            seen.setdefault((node.function.module, node.function.qualname), node.function)
        return list(seen.values())

    @property
    def uses_pipeline_folder(self) -> bool:
        return any(f.from_pipeline_folder for f in self.functions)

    @property
    def uses_context(self) -> bool:
        return any(n.context_param for n in self.nodes.values())

    def used_parameters(self) -> list[str]:
        used: list[str] = []
        for node in self.nodes.values():
            for arg in node.args.values():
                if isinstance(arg, ParamRef) and arg.name not in used:
                    used.append(arg.name)
        return used


def build_export_graph(
    pipeline: Pipeline, file: str | None = None, registry: Registry | None = None
) -> ExportGraph:
    """Validate and resolve `pipeline` as a run would; raises PipelineError or ExportError."""
    options = RunOptions(use_cache=False, record=False, file=os.path.abspath(file) if file else None)
    plan = build_plan(pipeline, options, registry)
    left_out = _disabled_closure(plan)
    nodes: dict[str, ExportNode] = {}
    functions: dict[int, FunctionRef] = {}
    for nid, node_plan in plan.nodes.items():
        if nid in left_out:
            continue
        node, node_type = node_plan.node, node_plan.node_type
        func_ref = functions.get(id(node_type.func))
        if func_ref is None:
            func_ref = functions[id(node_type.func)] = _function_ref(nid, node.type, node_type.func)
        given: dict[str, Arg] = {}
        for port, value in node.params.items():  # unresolved: a $param stays a reference
            ref = param_ref(value)
            given[port] = ParamRef(ref) if ref is not None else Const(value)
        for port, many, sources in node_plan.edge_inputs:
            wires = [Wire(src, src_port) for src, src_port in sources]
            given[port] = wires if many else wires[0]
        # in the function's own parameter order, so a call reads like its signature
        args = {p.name: given.pop(p.name) for p in node_type.inputs if p.name in given}
        args.update(given)
        nodes[nid] = ExportNode(
            id=nid,
            type_name=node.type,
            function=func_ref,
            args=args,
            outputs=[p.name for p in node_type.outputs],
            context_param=node_type.context_param,
            retries=node.retries,
            retry_delay_s=node.retry_delay_s,
            timeout_s=node.timeout_s,
            label=node.label,
            upstream=[u for u in node_plan.upstream if u not in left_out],
        )
    consumed = {(w.node, w.port) for n in nodes.values() for w in _wires(n.args.values())}
    sinks = [(nid, port) for nid, n in nodes.items() for port in n.outputs if (nid, port) not in consumed]
    return ExportGraph(
        name=pipeline.name,
        description=pipeline.description,
        parameters=dict(plan.parameters),
        nodes=nodes,
        sinks=sinks,
        left_out=[nid for nid in plan.nodes if nid in left_out],
        file=options.file,
    )


def _disabled_closure(plan: Plan) -> set[str]:
    out: set[str] = set()
    for nid, node_plan in plan.nodes.items():
        if node_plan.node.disabled:
            out.add(nid)
            out.update(plan.descendants(nid))
    return out


def _wires(args: Any) -> list[Wire]:
    found: list[Wire] = []
    for arg in args:
        if isinstance(arg, Wire):
            found.append(arg)
        elif isinstance(arg, list):
            found.extend(arg)
    return found


_PY_TYPE = re.compile(r"^py:([^:]+):(.+)$")


def _function_ref(node_id: str, type_name: str, func: Any) -> FunctionRef:
    """The import that gives back exactly `func`, checked by importing it; else ExportError naming the node."""
    if type_name.startswith(PY_PREFIX):
        match = _PY_TYPE.match(type_name)
        assert match is not None  # the registry resolved it, so it has this shape
        module, qualname = match.groups()
        return FunctionRef(module, qualname, from_pipeline_folder=True)
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    why = _importable(module, qualname, func)
    if why:
        raise ExportError(
            f"node '{node_id}' (type '{type_name}'): its function {why}, so no code can import it"
        )
    assert module is not None and qualname is not None
    return FunctionRef(module, qualname, from_pipeline_folder=False)


def _importable(module: str | None, qualname: str | None, func: Any) -> str | None:
    if not isinstance(module, str) or not isinstance(qualname, str):
        return "has no module and name"
    if module == "__main__":
        return "is defined in the __main__ script"
    if "<" in qualname:
        return f"is local ({qualname})"
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception:  # noqa: BLE001 - any failure means the import would not work in the export either
        return f"is not reachable as {module}.{qualname}"
    return None if target is func else f"is not what {module}.{qualname} names"


# -- naming --------------------------------------------------------------------------------------
class Names:
    """Valid, distinct Python names for generated code: never a keyword, builtin or a name taken."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def new(self, wish: str) -> str:
        base = re.sub(r"\W", "_", wish) or "value"
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or hasattr(builtins, base):
            base += "_"
        name, i = base, 2
        while name in self.taken:
            name = f"{base}_{i}"
            i += 1
        self.taken.add(name)
        return name


def assign_aliases(graph: ExportGraph, names: Names) -> None:
    """Give each node function the name the code calls it by: its own name unless two clash."""
    short_counts: dict[str, int] = {}
    for ref in graph.functions:
        short = ref.qualname.split(".")[0]
        short_counts[short] = short_counts.get(short, 0) + 1
    module_vars: dict[str, str] = {}
    for ref in graph.functions:
        short = ref.qualname.split(".")[0]
        wish = short if short_counts[short] == 1 else f"{ref.module.rsplit('.', 1)[-1]}_{short}"
        ref.alias = names.new(wish)
    for ref in graph.functions:
        if ref.from_pipeline_folder or "." in ref.qualname:
            if ref.module not in module_vars:
                module_vars[ref.module] = names.new(ref.module.replace(".", "_"))
            ref.module_var = module_vars[ref.module]


def import_lines(graph: ExportGraph) -> tuple[list[str], list[str]]:
    """(from-import lines of installed functions, lines that fetch `py:` functions after sys.path is set).

    A dotted qualname (a method, a class attribute) imports its first part and reads the rest, so the
    alias in that case is bound in the second list too.
    """
    by_module: dict[str, list[str]] = {}
    fetched: list[str] = []
    for ref in graph.functions:
        head, _, rest = ref.qualname.partition(".")
        if ref.module_var:
            binding = f"{ref.module_var} = importlib.import_module({literal(ref.module)})"
            if binding not in fetched:
                fetched.append(binding)
            fetched.append(f"{ref.alias} = {ref.module_var}.{ref.qualname}")
        else:
            by_module.setdefault(ref.module, []).append(
                head if head == ref.alias else f"{head} as {ref.alias}"
            )
    lines = []
    for module, members in sorted(by_module.items()):
        names = sorted(members, key=_member_key)
        line = f"from {module} import {', '.join(names)}"
        if len(line) > 88:  # wrapped as isort (ruff's I001) wants it at its default line length
            line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
        lines.append(line)
    return lines, fetched


def _member_key(member: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions."""
    name = member.split(" as ")[0]
    if name.isupper() and len(name) > 1:
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name


def sort_imports(lines: list[str]) -> list[str]:
    """`import x` lines first, then `from x import y`, each by module (ruff's isort default within a section)."""
    plain = sorted({line for line in lines if line.startswith("import ")}, key=lambda s: s.split()[1].lower())
    froms = sorted({line for line in lines if line.startswith("from ")}, key=lambda s: s.split()[1].lower())
    return plain + froms


# -- values --------------------------------------------------------------------------------------
def literal(value: Any) -> str:
    """Python source for a JSON value (the only kind a pipeline file holds), strings in double quotes."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, str):
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


_SURROGATE = re.compile("[\ud800-\udfff]")
LINE = 100


def call_source(indent: str, head: str, func: str, args: list[str]) -> list[str]:
    """`head func(args)` on one line when it fits, else one argument per line (as ruff format would)."""
    one = f"{indent}{head}{func}({', '.join(args)})"
    if len(one) <= LINE or not args:
        return [one]
    return [f"{indent}{head}{func}(", *(f"{indent}    {a}," for a in args), f"{indent})"]


def dict_source(indent: str, head: str, items: list[str]) -> list[str]:
    """`head{items}` on one line when it fits, else one `key: value` per line."""
    one = f"{indent}{head}{{{', '.join(items)}}}"
    if len(one) <= LINE or not items:
        return [one]
    return [f"{indent}{head}{{", *(f"{indent}    {i}," for i in items), f"{indent}}}"]


def pipeline_folder_expr(graph: ExportGraph, out_path: str | None) -> str:
    """The pipeline folder as the generated file finds it: relative to itself when we know where it goes."""
    folder = os.path.dirname(graph.file) if graph.file else os.getcwd()
    if out_path:
        rel = os.path.relpath(folder, os.path.dirname(os.path.abspath(out_path)))
        return f"os.path.join(os.path.dirname(os.path.abspath(__file__)), {literal(rel)})"
    return literal(folder)


def doc_header(graph: ExportGraph, target: str, run_hint: str) -> str:
    """The generated file's docstring: what it is, where it came from, how to run it."""
    source = os.path.basename(graph.file) if graph.file else "a pipeline"
    lines = [f"{graph.name}: exported from {source} by `nodeloom export --to {target}`.", ""]
    if graph.description:
        lines += [graph.description, ""]
    lines.append(run_hint)
    if graph.left_out:
        lines += [
            "",
            "Left out (disabled, or downstream of a disabled node): " + ", ".join(graph.left_out) + ".",
        ]
    text = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""{text}\n"""'


JSON_OR_TEXT = '''def json_or_text(text: str) -> Any:
    """A parameter value from the command line: JSON when it parses (`--seed 3`), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text'''

OUTPUTS_OF = '''def outputs_of(value: Any, *names: str) -> dict[str, Any]:
    """A multi-output node's return value by output name: a dict with those keys, or a tuple in that order."""
    if isinstance(value, Mapping) and set(value) >= set(names):
        return {name: value[name] for name in names}
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    raise TypeError(f"expected a tuple of {len(names)} values or a dict with keys {', '.join(names)}")'''

SHOW = '''def show(value: Any) -> str:
    """An output as printed at the end: JSON when it is JSON, else its repr."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)'''


def parse_parameters_source(description: str) -> str:
    return f'''def parse_parameters(argv: list[str] | None = None) -> dict[str, Any]:
    """The pipeline parameters: the file's values, each overridable by `--NAME VALUE` (as `run --set`)."""
    parser = argparse.ArgumentParser(description={literal(description)})
    for name, default in PARAMETERS.items():
        parser.add_argument(
            f"--{{name}}",
            dest=name,
            type=json_or_text,
            default=argparse.SUPPRESS,
            metavar="VALUE",
            help=f"default: {{json.dumps(default)}}",
        )
    return {{**PARAMETERS, **vars(parser.parse_args(argv))}}'''


def module_source(
    graph: ExportGraph,
    target: str,
    run_hint: str,
    out_path: str | None,
    definitions: list[str],
    *,
    stdlib: tuple[str, ...] = (),
    third_party: tuple[str, ...] = (),
    constants: tuple[str, ...] = (),
) -> str:
    """The whole generated file, laid out the same for every target so they cannot drift apart.

    Docstring; standard-library imports (those every target needs, plus `stdlib`); third-party imports
    (the node functions, `third_party`, Context when a node takes one); the `py:` setup; PARAMETERS and
    `constants`; then the shared helpers and the target's `definitions`.
    """
    froms, fetched = import_lines(graph)
    multi = any(len(n.outputs) > 1 for n in graph.nodes.values())
    std = ["import argparse", "import json", "from typing import Any", *stdlib]
    if fetched:
        std.append("import importlib")
    if graph.uses_pipeline_folder:
        std += ["import os", "import sys"]
    if multi:
        std.append("from collections.abc import Mapping, Sequence")
    third = [*froms, *third_party]
    if graph.uses_context:
        third.append("from nodeloom.core.context import Context")
    parts = [doc_header(graph, target, run_hint), "\n".join(sort_imports(std))]
    if third:
        parts.append("\n".join(sort_imports(third)))
    setup = []
    if graph.uses_pipeline_folder:
        setup.append("# `py:` node modules sit beside the pipeline file, where `nodeloom run` finds them too")
        setup.append(f"sys.path.append({pipeline_folder_expr(graph, out_path)})")
    setup += fetched
    if setup:
        parts.append("\n".join(setup))
    parts += [parameters_source(graph), *constants]
    helpers = [JSON_OR_TEXT, parse_parameters_source(graph.description or graph.name)]
    if multi:
        helpers.append(OUTPUTS_OF)
    helpers += [SHOW, *definitions]
    return "\n\n".join(parts) + "\n\n\n" + "\n\n\n".join(helpers) + "\n"


def node_title(node: ExportNode) -> str:
    """`id: type (label)`: how generated code names a node in its docstring or comment."""
    return f"{node.id}: {node.type_name}" + (f" ({node.label})" if node.label else "")


def docstring_text(text: str) -> str:
    """`text` made safe inside a one-line double-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def parameters_source(graph: ExportGraph) -> str:
    if not graph.parameters:
        return "PARAMETERS: dict[str, Any] = {}"
    body = "".join(f"    {literal(k)}: {literal(v)},\n" for k, v in graph.parameters.items())
    return "PARAMETERS: dict[str, Any] = {\n" + body + "}"
