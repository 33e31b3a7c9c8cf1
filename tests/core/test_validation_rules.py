"""Every semantic validation rule of the design, each with its own test and its exact one-line message.

Node types come from the built-ins and from `tests/fixtures/fnd_nodes.py` (`py:fnd_nodes:NAME`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fnd_helpers import doc, problem_lines, write
from nodeloom.core.errors import Problem
from nodeloom.core.model import Edge, Node, Pipeline
from nodeloom.core.registry import default_registry
from nodeloom.core.validation import check_file, check_param_value, validate


def lines(
    tmp_path: Path, nodes: list[dict], edges: list[dict] | None = None, trust: bool = False, **top: object
) -> list[str]:
    path = write(tmp_path, doc(nodes, edges or [], **top))
    prefix = f"{path}: "
    found = problem_lines(path, trust)
    assert all(line.startswith(prefix) for line in found), found
    return [line.removeprefix(prefix) for line in found]


def n(node_id: str, node_type: str, **params: object) -> dict:
    return (
        {"id": node_id, "type": node_type, "params": params} if params else {"id": node_id, "type": node_type}
    )


def e(source: str, target: str) -> dict:
    return {"from": source, "to": target}


def test_a_correct_pipeline_has_no_problems(tmp_path: Path) -> None:
    nodes = [
        n("a", "data.value", value=2),
        n("b", "math.add", b=1.5),
        n("j", "text.join"),
        n("t", "text.format", template="{value}"),
    ]
    edges = [
        e("a.result", "b.a"),
        e("b.result", "t.value"),
        e("t.result", "j.parts"),
        e("a.result", "j.parts"),
    ]
    assert lines(tmp_path, nodes, edges) == []


def test_unknown_registered_type(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.ad")]) == [
        "node 'a': unknown node type 'math.ad'; did you mean 'math.add'?"
    ]
    assert lines(tmp_path, [n("a", "zzz.qqq")]) == [
        "node 'a': unknown node type 'zzz.qqq' (`nodeloom nodes` lists them)"
    ]


@pytest.mark.parametrize(
    ("node_type", "expected"),
    [
        ("py:no_such_module_xyz:f", "module 'no_such_module_xyz' not found"),
        ("py:fnd_nodes:nope", "'fnd_nodes' has no 'nope'"),
        ("py:fnd_nodes:NOT_CALLABLE", "'NOT_CALLABLE' is not a function (it is int)"),
        ("py:fnd_nodes:takes_everything", "positional-only parameter 'a' cannot be a port"),
        ("py:builtins:len", "positional-only parameter 'obj' cannot be a port"),
        ("py:functools:partial", "cannot read its signature: no signature found for builtin type"),
        ("py:fnd_nodes", "must look like py:MODULE:FUNCTION"),
        ("py:fnd nodes:add", "must look like py:MODULE:FUNCTION"),
    ],
)
def test_unknown_py_type(tmp_path: Path, node_type: str, expected: str) -> None:
    (line,) = lines(tmp_path, [n("a", node_type)])
    assert line.startswith(f"node 'a': node type '{node_type}'") and expected in line


def test_py_module_that_fails_on_import(tmp_path: Path) -> None:
    (tmp_path / "fnd_broken_mod.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "fnd_exit_mod.py").write_text("import sys\nsys.exit(3)\n")
    nodes = [n("a", "py:fnd_broken_mod:f"), n("b", "py:fnd_exit_mod:f")]
    assert lines(tmp_path, nodes, trust=True) == [
        "node 'a': node type 'py:fnd_broken_mod:f': importing 'fnd_broken_mod' failed: RuntimeError: boom at import",
        "node 'b': node type 'py:fnd_exit_mod:f': importing 'fnd_exit_mod' failed: SystemExit: 3",
    ]
    # untrusted, neither module runs: read from source, neither defines the function
    assert lines(tmp_path, nodes) == [
        "node 'a': node type 'py:fnd_broken_mod:f': 'fnd_broken_mod' has no 'f'",
        "node 'b': node type 'py:fnd_exit_mod:f': 'fnd_exit_mod' has no 'f'",
    ]


def test_py_types_beside_the_pipeline_file_are_importable(tmp_path: Path) -> None:
    (tmp_path / "fnd_beside_mod.py").write_text("def twice(x: int) -> int:\n    return 2 * x\n")
    assert lines(tmp_path, [n("a", "py:fnd_beside_mod:twice", x=2)], trust=True) == []
    assert lines(tmp_path, [n("a", "py:fnd_beside_mod:twice", x=2)]) == [
        f"node 'a': partly checked: py:fnd_beside_mod:twice is in the untrusted folder {tmp_path.resolve()}; "
        "its ports were read from the source without running it (use --trust)"
    ]


def test_unknown_param_port(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.add", a=1, c=2)]) == [
        "node 'a': param 'c': no such input (has: a, b)"
    ]


def test_unknown_edge_ports_at_both_ends(tmp_path: Path) -> None:
    nodes = [n("a", "data.value"), n("b", "math.add", a=1)]
    assert lines(tmp_path, nodes, [e("a.out", "b.b"), e("a.result", "b.c")]) == [
        "node 'a': edge a.out -> b.b: 'a' (data.value) has no output 'out' (has: result)",
        "node 'b': edge a.result -> b.c: 'b' (math.add) has no input 'c' (has: a, b)",
    ]


def test_edge_to_a_node_without_inputs(tmp_path: Path) -> None:
    nodes = [n("a", "data.value"), n("b", "py:fnd_nodes:star_args")]
    assert lines(tmp_path, nodes, [e("a.result", "b.x")]) == [
        "node 'b': edge a.result -> b.x: 'b' (py:fnd_nodes:star_args) has no input 'x' (it has none)"
    ]


def test_edges_to_missing_nodes(tmp_path: Path) -> None:
    assert lines(
        tmp_path, [n("a", "data.value")], [e("a.result", "ghost.a"), e("ghost.result", "a.value")]
    ) == [
        "node 'a': edge a.result -> ghost.a: no node 'ghost'",
        "node 'a': edge ghost.result -> a.value: no node 'ghost'",
    ]


def test_two_edges_into_one_input(tmp_path: Path) -> None:
    nodes = [n("a", "data.value"), n("b", "data.value"), n("c", "math.add")]
    assert lines(tmp_path, nodes, [e("a.result", "c.a"), e("b.result", "c.a")]) == [
        "node 'c': input 'a' has more than one incoming edge (only 'many' inputs take several)"
    ]


def test_many_inputs_take_several_edges(tmp_path: Path) -> None:
    nodes = [n("a", "data.value"), n("b", "data.value"), n("c", "data.value"), n("s", "math.sum")]
    edges = [e("a.result", "s.values"), e("b.result", "s.values"), e("c.result", "s.values")]
    assert lines(tmp_path, nodes, edges) == []


def test_port_with_both_edge_and_param(tmp_path: Path) -> None:
    nodes = [n("a", "data.value"), n("b", "math.add", a=1)]
    assert lines(tmp_path, nodes, [e("a.result", "b.a")]) == [
        "node 'b': param 'a': the input is also fed by an edge; remove one"
    ]


def test_unresolved_param_reference(tmp_path: Path) -> None:
    nodes = [n("a", "math.add", a={"$param": "missing"}), n("b", "math.add", a={"$param": "k"})]
    assert lines(tmp_path, nodes, parameters={"k": 2}) == [
        "node 'a': param 'a': pipeline parameter 'missing' is not defined"
    ]


def test_resolved_param_reference_is_type_checked(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.add", a={"$param": "k"})], parameters={"k": "text"}) == [
        "node 'a': param 'a': expected float, got a string"
    ]


def test_missing_required_inputs(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.add"), n("b", "py:fnd_nodes:maybe")]) == [
        "node 'a': required input 'a' has no edge and no param",
        "node 'b': required input 'count' has no edge and no param",
    ]


def test_incompatible_port_types(tmp_path: Path) -> None:
    nodes = [
        n("m", "py:fnd_nodes:make_blob"),
        n("t", "py:fnd_nodes:eat_text"),
        n("b", "py:fnd_nodes:eat_blob"),
    ]
    edges = [e("m.result", "t.text"), e("m.result", "b.blob")]
    assert lines(tmp_path, nodes, edges) == [
        "node 't': edge m.result -> t.text: output type 'fnd_nodes.Blob' does not fit input type 'str'"
    ]


def test_widening_connections_are_allowed(tmp_path: Path) -> None:
    nodes = [
        n("i", "py:fnd_nodes:add", a=1),
        n("f", "math.add"),
        n("s", "data.read_json", path="x.json"),
        n("t", "py:fnd_nodes:eat_text"),
    ]
    assert (
        lines(tmp_path, nodes, [e("i.result", "f.a"), e("s.result", "t.text")]) == []
    )  # int -> float, any -> str


def test_cycles_name_their_nodes(tmp_path: Path) -> None:
    nodes = [n("a", "math.add"), n("b", "math.add"), n("c", "math.add"), n("d", "data.value")]
    edges = [e("a.result", "b.a"), e("b.result", "c.a"), e("c.result", "a.a"), e("d.result", "a.b")]
    (line,) = lines(tmp_path, nodes, edges)
    assert line.startswith("node '") and "cycle: " in line
    cycle = line.split("cycle: ")[1].split(" -> ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]


def test_two_separate_cycles_are_both_reported(tmp_path: Path) -> None:
    nodes = [n(x, "math.add") for x in "abcd"]
    edges = [e("a.result", "b.a"), e("b.result", "a.a"), e("c.result", "d.a"), e("d.result", "c.a")]
    found = lines(tmp_path, nodes, edges)
    assert len(found) == 2 and all("cycle: " in line for line in found)


def test_self_loop_is_a_cycle(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.add", b=1)], [e("a.result", "a.a")]) == ["node 'a': cycle: a -> a"]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (n("a", "math.add", a="1"), "param 'a': expected float, got a string"),
        (n("a", "math.add", a=True), "param 'a': expected float, got a boolean"),
        (n("a", "py:fnd_nodes:add", a=1.5), "param 'a': expected int, got a number"),
        (n("a", "py:fnd_nodes:choose", mode="medium"), "param 'mode': 'medium' is not one of 'fast', 'slow'"),
        (n("a", "py:fnd_nodes:choose", level=4), "param 'level': 4 is not one of 1, 2, 3"),
        (n("a", "py:fnd_nodes:bounded", ratio=1.5), "param 'ratio': 1.5 is above the maximum 1.0"),
        (n("a", "py:fnd_nodes:bounded", ratio=-1), "param 'ratio': -1 is below the minimum 0.0"),
        (n("a", "text.join", parts="x"), "param 'parts': expected a list for a 'many' input, got a string"),
        (n("a", "text.join", parts=["x", 2]), "param 'parts': item 1: expected str, got an integer"),
        (n("a", "py:fnd_nodes:add", a=None), "param 'a': expected int, got null"),
    ],
)
def test_param_values_must_fit_their_ports(tmp_path: Path, node: dict, expected: str) -> None:
    assert lines(tmp_path, [node]) == [f"node 'a': {expected}"]


@pytest.mark.parametrize(
    "node",
    [
        n("a", "py:fnd_nodes:maybe", count=None),  # Optional[int]: null is fine
        n("a", "py:fnd_nodes:maybe", count=3, note=None),
        n("a", "py:fnd_nodes:choose", mode="slow", level=3),
        n("a", "text.join", parts=["x", "y"]),
        n("a", "data.value", value={"any": ["json", 1, None]}),
        n("a", "math.add", a=1),  # an int feeds a float
        n("a", "py:fnd_nodes:with_context", n=2),  # the context parameter is not a port
        n("a", "py:fnd_nodes:Thing", size=2),
        n("a", "py:fnd_nodes:add_ten", a=1),
        n("a", "py:fnd_nodes:triple", x=1),
    ],
)
def test_fitting_params_pass(tmp_path: Path, node: dict) -> None:
    assert lines(tmp_path, [node]) == []


def test_problems_are_structured_for_the_editor(tmp_path: Path) -> None:
    path = write(tmp_path, doc([n("a", "math.add", c=1)]))
    problems = check_file(path).problems
    assert problems == [
        Problem("param 'c': no such input (has: a, b)", "a", "params.c", str(path)),
        Problem("required input 'a' has no edge and no param", "a", "params.a", str(path)),
    ]


def test_validate_works_on_an_in_memory_pipeline() -> None:
    pipeline = Pipeline(
        "mem", nodes=[Node("a", "data.value"), Node("b", "math.add")], edges=[Edge("a", "result", "b", "a")]
    )
    assert validate(pipeline) == []
    pipeline.add_edge(Edge("b", "result", "b", "b"))
    assert [p.format() for p in validate(pipeline, file="mem.json")] == ["mem.json: node 'b': cycle: b -> b"]


def test_check_param_value_directly() -> None:
    port = default_registry().get("math.add").input("a")
    assert port is not None
    assert check_param_value(port, {"$param": "x"}, {"x": 2.5}) is None
    assert check_param_value(port, {"$param": "y"}, {}) == "pipeline parameter 'y' is not defined"


def test_malformed_reference_is_reported_once(tmp_path: Path) -> None:
    assert lines(tmp_path, [n("a", "math.add", a={"$param": ["k"]})], parameters={"k": 1}) == [
        """node 'a': param 'a': a reference must be exactly {"$param": "NAME"}"""
    ]
    pipeline = Pipeline(
        "mem", nodes=[Node("a", "math.add", {"a": {"$param": "k", "x": 1}})], parameters={"k": 1}
    )
    assert [p.message for p in validate(pipeline)] == [
        """param 'a': a reference must be exactly {"$param": "NAME"}"""
    ]
