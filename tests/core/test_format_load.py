"""Loading format v1: every structural fault becomes a one-line problem naming the field (and node)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fnd_helpers import doc, pipelines, same_pipeline, write
from hypothesis import given, settings
from nodeloom.core.errors import PipelineError
from nodeloom.core.file_format import from_document, load_file, load_pipeline, loads
from nodeloom.core.model import Pipeline


def messages(path: Path) -> list[str]:
    return [p.format() for p in load_file(path).problems]


def one(path: Path) -> str:
    found = messages(path)
    assert len(found) == 1, found
    return found[0]


def test_valid_file_loads_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        doc(
            [
                {"id": "b", "type": "data.value"},
                {"id": "a", "type": "math.add", "label": "Add", "retries": 2},
            ],
            [{"from": "b.result", "to": "a.a"}],
            description="d",
            parameters={"k": 1},
            ui={"nodes": {"a": {"x": 1, "y": 2.5}}},
        ),
    )
    pipeline = load_pipeline(path)
    assert list(pipeline.nodes) == ["b", "a"]
    assert pipeline.nodes["a"].label == "Add" and pipeline.nodes["a"].retries == 2
    assert [str(e) for e in pipeline.edges] == ["b.result -> a.a"]
    assert (pipeline.name, pipeline.description, pipeline.parameters) == ("t", "d", {"k": 1})
    assert pipeline.position("a") == (1.0, 2.5)


def test_bad_json_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "format": "nodeloom.pipeline",\n  "version": 1,,\n}')
    assert (
        one(path)
        == f"{path}: invalid JSON at line 3 column 16: Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "file is empty"),
        (" \n\t ", "file is empty"),
        (b"\x00\x01binary", "not a text file (contains NUL bytes)"),
        (b'{"name": "\xff"}', "not UTF-8 text (bad byte at offset 10)"),
        (
            '{"format": "nodeloom.pipeline"'.encode("utf-16"),
            "the file is UTF-16; a pipeline file must be UTF-8",
        ),
        ("[]", "the top level must be a JSON object, got a list"),
        ('"text"', "the top level must be a JSON object, got the string 'text'"),
        ("3", "the top level must be a JSON object, got the number 3"),
        ("null", "the top level must be a JSON object, got null"),
        ('{"a": NaN}', "invalid JSON at line 1 column 7: NaN is not valid JSON"),
        ('{"a": -Infinity}', "invalid JSON at line 1 column 7: -Infinity is not valid JSON"),
        (
            '{"a":\n  1e400}',
            "invalid JSON at line 2 column 3: the number 1e400 is too large (it would be infinite)",
        ),
        (
            '{"a": [-1E+400]}',
            "invalid JSON at line 1 column 8: the number -1E+400 is too large (it would be infinite)",
        ),
        ('{"a": 1, "a": 2}', "invalid JSON: duplicate key 'a'"),
        ('{"a": ' + "9" * 5000 + "}", "invalid JSON: a number has too many digits"),
        ("[" * 100_000, "invalid JSON at line 1 column 101: nested more than 100 levels deep"),
        ("{}", "not a Nodeloom pipeline: 'format' is missing (expected 'nodeloom.pipeline')"),
        (
            '{"format": "other"}',
            "not a Nodeloom pipeline: 'format' is 'other' (expected 'nodeloom.pipeline')",
        ),
        ('{"format": "nodeloom.pipeline"}', "'version' is missing"),
    ],
)
def test_unreadable_documents(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = write(tmp_path, content)
    assert one(path) == f"{path}: {expected}"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps(doc()).encode())
    assert messages(path) == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (2, "format version 2 is newer than this Nodeloom reads (up to 1); upgrade Nodeloom"),
        (10**30, f"format version {10**30} is newer than this Nodeloom reads (up to 1); upgrade Nodeloom"),
        (0, "format version 0 is not supported (this Nodeloom reads 1)"),
        (-1, "format version -1 is not supported (this Nodeloom reads 1)"),
        (1.0, "'version' must be an integer, got the number 1.0"),
        (True, "'version' must be an integer, got a boolean"),
        ("1", "'version' must be an integer, got the string '1'"),
        (None, "'version' must be an integer, got null"),
    ],
)
def test_wrong_versions(tmp_path: Path, version: object, expected: str) -> None:
    path = write(tmp_path, doc(version=version))
    assert one(path) == f"{path}: {expected}"


def test_missing_name_and_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, {"format": "nodeloom.pipeline", "version": 1})
    assert messages(path) == [f"{path}: 'name' is missing", f"{path}: 'nodes' is missing"]


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"name": 3}, "'name' must be a string, got the number 3"),
        ({"description": []}, "'description' must be a string, got a list"),
        ({"parameters": [1]}, "'parameters' must be an object, got a list"),
        ({"ui": "x"}, "'ui' must be an object, got the string 'x'"),
        ({"ui": {"nodes": []}}, "'ui.nodes' must be an object, got a list"),
        ({"ui": {"nodes": {"a": {"x": 1}}}}, "'ui.nodes.a' must be an object with numeric x and y"),
        (
            {"ui": {"nodes": {"a": {"x": True, "y": 1}}}},
            "'ui.nodes.a' must be an object with numeric x and y",
        ),
        ({"nodes": {}}, "'nodes' must be a list, got an object"),
        ({"edges": {}}, "'edges' must be a list, got an object"),
        ({"extra": 1}, "unknown top-level key 'extra'"),
    ],
)
def test_wrong_top_level_values(tmp_path: Path, top: dict, expected: str) -> None:
    path = write(tmp_path, doc(**top))
    assert one(path) == f"{path}: {expected}"


def test_unknown_keys_are_reported_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, doc(zeta=1, alpha=2, nodes=[{"id": "a", "type": "data.value", "z": 1, "b": 2}]))
    assert messages(path) == [
        f"{path}: unknown top-level key 'zeta'",
        f"{path}: unknown top-level key 'alpha'",
        f"{path}: node 'a': unknown key 'z'",
        f"{path}: node 'a': unknown key 'b'",
    ]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ([1], "nodes[0] must be an object, got a list"),
        ({"type": "data.value"}, "nodes[0]: 'id' is missing"),
        ({"id": 7, "type": "data.value"}, "nodes[0]: 'id' is not a string: the number 7"),
        ({"id": "1abc", "type": "data.value"}, "nodes[0]: invalid node id '1abc'"),
        ({"id": "a.b", "type": "data.value"}, "nodes[0]: invalid node id 'a.b'"),
        ({"id": "", "type": "data.value"}, "nodes[0]: invalid node id ''"),
        ({"id": "x" * 65, "type": "data.value"}, "nodes[0]: invalid node id 'xxxxx"),
        ({"id": "a"}, "node 'a': 'type' must be a non-empty string, got null"),
        ({"id": "a", "type": ""}, "node 'a': 'type' must be a non-empty string, got the string ''"),
        ({"id": "a", "type": ["data.value"]}, "node 'a': 'type' must be a non-empty string, got a list"),
        (
            {"id": "a", "type": "data.value", "label": 5},
            "node 'a': 'label' must be a string, got the number 5",
        ),
        ({"id": "a", "type": "data.value", "label": None}, "node 'a': 'label' must be a string, got null"),
        ({"id": "a", "type": "data.value", "params": []}, "node 'a': 'params' must be an object, got a list"),
        (
            {"id": "a", "type": "data.value", "params": {"value": {"$param": 1}}},
            "node 'a': param 'value': a reference",
        ),
        (
            {"id": "a", "type": "data.value", "params": {"value": {"$param": "p", "x": 1}}},
            "node 'a': param 'value': a reference must be exactly",
        ),
        (
            {"id": "a", "type": "data.value", "retries": -1},
            "node 'a': 'retries' must be an integer from 0 to 100",
        ),
        (
            {"id": "a", "type": "data.value", "retries": 1.5},
            "node 'a': 'retries' must be an integer from 0 to 100",
        ),
        (
            {"id": "a", "type": "data.value", "retries": True},
            "node 'a': 'retries' must be an integer from 0 to 100",
        ),
        ({"id": "a", "type": "data.value", "retries": "2"}, "node 'a': 'retries' must be an integer"),
        (
            {"id": "a", "type": "data.value", "retry_delay_s": -1},
            "node 'a': 'retry_delay_s' must be a number",
        ),
        (
            {"id": "a", "type": "data.value", "retry_delay_s": "1"},
            "node 'a': 'retry_delay_s' must be a number",
        ),
        (
            {"id": "a", "type": "data.value", "retry_delay_s": None},
            "node 'a': 'retry_delay_s' must be a number",
        ),
        (
            {"id": "a", "type": "data.value", "timeout_s": 0},
            "node 'a': 'timeout_s' must be a positive number",
        ),
        (
            {"id": "a", "type": "data.value", "timeout_s": False},
            "node 'a': 'timeout_s' must be a positive number",
        ),
        (
            {"id": "a", "type": "data.value", "timeout_s": "5"},
            "node 'a': 'timeout_s' must be a positive number",
        ),
        (
            {"id": "a", "type": "data.value", "cache": 1},
            "node 'a': 'cache' must be true or false, got the number 1",
        ),
        (
            {"id": "a", "type": "data.value", "cache": None},
            "node 'a': 'cache' must be true or false, got null",
        ),
        ({"id": "a", "type": "data.value", "disabled": "no"}, "node 'a': 'disabled' must be true or false"),
    ],
)
def test_wrong_node_values(tmp_path: Path, node: object, expected: str) -> None:
    path = write(tmp_path, doc([node]))
    assert one(path).startswith(f"{path}: {expected}")


def test_duplicate_ids_name_both_positions(tmp_path: Path) -> None:
    nodes = [
        {"id": "a", "type": "data.value"},
        {"id": "b", "type": "data.value"},
        {"id": "a", "type": "math.add"},
    ]
    path = write(tmp_path, doc(nodes))
    assert one(path) == f"{path}: node 'a': duplicate node id (nodes[2]; first at nodes[0])"
    assert load_file(path).pipeline.nodes["a"].type == "data.value"  # the first one wins


NODES = [{"id": "a", "type": "data.value"}, {"id": "b", "type": "data.value"}]


@pytest.mark.parametrize(
    ("edge", "expected"),
    [
        ("a.result", "edges[0] must be an object with 'from' and 'to', got the string 'a.result'"),
        ({"from": "a.result"}, "edges[0]: 'to' must be a string 'NODE.PORT', got null"),
        ({"from": 1, "to": "b.value"}, "edges[0]: 'from' must be a string 'NODE.PORT', got the number 1"),
        ({"from": "a.result", "to": ["b"]}, "edges[0]: 'to' must be a string 'NODE.PORT', got a list"),
        ({"from": "aresult", "to": "b.value"}, "edges[0]: 'from' must look like 'NODE.PORT', got 'aresult'"),
        ({"from": "a.", "to": "b.value"}, "edges[0]: 'from' must look like 'NODE.PORT', got 'a.'"),
        ({"from": ".result", "to": "b.value"}, "edges[0]: 'from' must look like 'NODE.PORT', got '.result'"),
        ({"from": "a.result", "to": "b.val ue"}, "edges[0]: 'to' must look like 'NODE.PORT', got 'b.val ue'"),
        ({"from": "a.result", "to": "b.x.y"}, "edges[0]: 'to' must look like 'NODE.PORT', got 'b.x.y'"),
        ({"from": "a.result", "to": "b.value", "via": 1}, "edges[0]: unknown key 'via'"),
        ({"from": "a.result", "to": "zz.value"}, "node 'a': edge a.result -> zz.value: no node 'zz'"),
        ({"from": "zz.result", "to": "b.value"}, "node 'b': edge zz.result -> b.value: no node 'zz'"),
        ({"from": "yy.result", "to": "zz.value"}, "edge yy.result -> zz.value: no node 'yy'"),
    ],
)
def test_malformed_edges(tmp_path: Path, edge: object, expected: str) -> None:
    path = write(tmp_path, doc(NODES, [edge]))
    assert one(path) == f"{path}: {expected}"


def test_repeated_edge(tmp_path: Path) -> None:
    edge = {"from": "a.result", "to": "b.value"}
    path = write(tmp_path, doc(NODES, [edge, edge]))
    assert one(path) == f"{path}: node 'b': edge a.result -> b.value appears twice"


def test_repeated_fan_in_edge_is_caught_among_legitimate_ones(tmp_path: Path) -> None:
    nodes = [*NODES, {"id": "c", "type": "data.value"}, {"id": "s", "type": "math.sum"}]
    a, b, c = ({"from": f"{x}.result", "to": "s.values"} for x in "abc")
    path = write(tmp_path, doc(nodes, [a, b, {"from": "a.result", "to": "b.value"}, c, dict(b), dict(a)]))
    assert messages(path) == [
        f"{path}: node 's': edge b.result -> s.values appears twice",
        f"{path}: node 's': edge a.result -> s.values appears twice",
    ]
    assert [str(e) for e in load_file(path).pipeline.edges] == [
        "a.result -> s.values",
        "b.result -> s.values",
        "a.result -> b.value",
        "c.result -> s.values",
    ]


def test_duplicate_edge_sharing_string_objects_in_memory() -> None:
    edge = {"from": "a.result", "to": "b.value"}
    result = from_document(doc(NODES, [edge, edge]))  # the very same dict twice, as code might build it
    assert [p.message for p in result.problems] == ["edge a.result -> b.value appears twice"]
    assert len(result.pipeline.edges) == 1


def test_hopeless_file_stops_after_a_thousand_problems(tmp_path: Path) -> None:
    path = write(tmp_path, doc([1] * 50_000))
    found = messages(path)
    assert len(found) == 1001
    assert found[-1] == f"{path}: more than 1000 problems; stopped checking"


def test_every_message_is_one_line_even_with_control_characters(tmp_path: Path) -> None:
    path = write(tmp_path, doc([{"id": "a", "type": "data.value", "lab\nel": 1}], **{"x\r\ny": 1}))
    found = messages(path)
    assert len(found) == 2 and all("\n" not in m and "\r" not in m for m in found)


def test_loads_and_load_pipeline_raise_pipeline_error(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="invalid JSON at line 1 column 2"):
        loads("{,")
    with pytest.raises(PipelineError) as caught:
        load_pipeline(write(tmp_path, doc([{"id": "a"}])))
    assert [p.node for p in caught.value.problems] == ["a"]
    assert loads(json.dumps(doc([{"id": "a", "type": "data.value"}]))).nodes["a"].type == "data.value"


def test_missing_file_directory_and_too_large(tmp_path: Path) -> None:
    assert one(tmp_path / "nope.json") == f"{tmp_path / 'nope.json'}: no such file"
    assert one(tmp_path) == f"{tmp_path}: is a directory, not a pipeline file"
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(65 * 2**20)  # sparse: no disk used
    assert one(big) == f"{big}: file is too large (68 MB; the limit is 64 MiB)"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, doc())
    path.chmod(0)
    assert one(path) == f"{path}: cannot read: Permission denied"


@settings(max_examples=50, deadline=None)
@given(pipelines())
def test_the_loader_fast_path_builds_what_the_model_methods_build(pipeline: Pipeline) -> None:
    """`from_document` fills nodes and edges directly (its documented fast path): the result must equal
    a pipeline built through `Pipeline.add_node` / `add_edge`, the model's own guarded methods."""
    from nodeloom.core.file_format import to_document

    loaded = from_document(json.loads(json.dumps(to_document(pipeline))))
    assert loaded.problems == []
    built = Pipeline(pipeline.name, pipeline.description, pipeline.parameters, ui=pipeline.ui)
    for node in pipeline.nodes.values():
        built.add_node(node.clone())
    for edge in pipeline.edges:
        built.add_edge(edge)
    assert same_pipeline(loaded.pipeline, built)  # type: ignore[arg-type]
