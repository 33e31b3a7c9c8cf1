"""Saving format v1: deterministic bytes, round-trip stability, one-node edits touch one node's lines,
and the migration hook that upgrades older versions on load."""

from __future__ import annotations

import difflib
import json
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fnd_helpers import doc, pipelines, same_pipeline, write
from hypothesis import HealthCheck, given, settings
from nodeloom.core import file_format
from nodeloom.core.file_format import dumps, load_file, load_pipeline, loads, save_pipeline
from nodeloom.core.model import Edge, Node, Pipeline

EXAMPLES = sorted(
    p
    for p in resources.files("nodeloom.core.resources").joinpath("examples").iterdir()
    if p.name.endswith(".json")
)
HYPOTHESIS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_examples_exist_and_are_saved_canonically() -> None:
    assert EXAMPLES
    for example in EXAMPLES:
        text = example.read_text(encoding="utf-8")
        assert dumps(loads(text)) == text, example.name


def test_saved_layout_is_fixed() -> None:
    pipeline = Pipeline("demo", parameters={"k": 2})
    pipeline.add_node(
        Node("a", "data.value", {"value": {"$param": "k"}}, label="A", timeout_s=5, cache=False)
    )
    pipeline.add_node(Node("b", "util.log"))
    pipeline.add_edge(Edge("a", "result", "b", "value"))
    pipeline.set_position("b", 10.04, -3)
    assert dumps(pipeline) == (
        "{\n"
        '  "format": "nodeloom.pipeline",\n'
        '  "version": 1,\n'
        '  "name": "demo",\n'
        '  "parameters": {\n'
        '    "k": 2\n'
        "  },\n"
        '  "nodes": [\n'
        "    {\n"
        '      "id": "a",\n'
        '      "type": "data.value",\n'
        '      "label": "A",\n'
        '      "params": {\n'
        '        "value": {\n'
        '          "$param": "k"\n'
        "        }\n"
        "      },\n"
        '      "timeout_s": 5,\n'
        '      "cache": false\n'
        "    },\n"
        "    {\n"
        '      "id": "b",\n'
        '      "type": "util.log"\n'
        "    }\n"
        "  ],\n"
        '  "edges": [\n'
        "    {\n"
        '      "from": "a.result",\n'
        '      "to": "b.value"\n'
        "    }\n"
        "  ],\n"
        '  "ui": {\n'
        '    "nodes": {\n'
        '      "b": {\n'
        '        "x": 10,\n'
        '        "y": -3\n'
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def test_keys_are_written_in_fixed_order_whatever_the_file_order(tmp_path: Path) -> None:
    scrambled = {
        "ui": {"nodes": {"b": {"x": 1, "y": 1}, "a": {"y": 2, "x": 2}}},
        "edges": [{"to": "b.value", "from": "a.result"}],
        "nodes": [{"retries": 1, "type": "data.value", "id": "a"}, {"type": "util.log", "id": "b"}],
        "name": "n",
        "version": 1,
        "format": "nodeloom.pipeline",
    }
    text = dumps(load_pipeline(write(tmp_path, scrambled)))
    saved = json.loads(text)
    assert list(saved) == ["format", "version", "name", "nodes", "edges", "ui"]
    assert list(saved["nodes"][0]) == ["id", "type", "retries"]
    assert list(saved["edges"][0]) == ["from", "to"]
    assert list(saved["ui"]["nodes"]) == ["a", "b"]  # positions follow node order
    assert text.endswith("}\n") and "\n  " in text


def test_non_ascii_text_is_written_as_itself_and_lone_surrogates_stay_escaped(tmp_path: Path) -> None:
    text = json.dumps(
        doc([{"id": "a", "type": "data.value", "label": "Größe ✓", "params": {"value": "\ud800x"}}])
    )
    pipeline = loads(text)
    assert pipeline.nodes["a"].params["value"] == "\ud800x"
    saved = dumps(pipeline)
    assert "Größe ✓" in saved and '"\\ud800x"' in saved
    path = tmp_path / "s.json"
    save_pipeline(pipeline, path)  # must not fail to encode
    assert load_pipeline(path).nodes["a"].params == {"value": "\ud800x"}
    assert path.read_text(encoding="utf-8") == saved


def test_save_is_atomic_and_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_pipeline(Pipeline("one"), path)
    save_pipeline(Pipeline("two"), path)
    assert load_pipeline(path).name == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temp files left behind


def test_unsavable_value_raises_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_pipeline(Pipeline("good"), path)
    bad = Pipeline("bad", parameters={"x": float("nan")})
    with pytest.raises(ValueError):
        save_pipeline(bad, path)
    assert load_pipeline(path).name == "good"


@HYPOTHESIS
@given(pipelines())
def test_save_load_save_gives_identical_bytes(pipeline: Pipeline) -> None:
    first = dumps(pipeline)
    loaded = loads(first)
    assert dumps(loaded) == first
    assert same_pipeline(loaded, pipeline)


@settings(max_examples=40, deadline=None)
@given(pipelines(max_nodes=4))
def test_round_trip_through_a_real_file(pipeline: Pipeline) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.json"
        save_pipeline(pipeline, path)
        before = path.read_bytes()
        save_pipeline(load_pipeline(path), path)
        assert path.read_bytes() == before


# -- a one-node edit changes only that node's lines -----------------------------------------------
def _big_pipeline() -> Pipeline:
    pipeline = Pipeline("diffs", parameters={"n": 3})
    for i in range(12):
        pipeline.add_node(Node(f"n{i}", "math.add", {"a": i, "b": [i, i + 1]}, label=f"Node {i}"))
        pipeline.set_position(f"n{i}", i * 100, 0)
    for i in range(11):
        pipeline.add_edge(Edge(f"n{i}", "result", f"n{i + 1}", "a"))
    return pipeline


def _block(lines: list[str], start_marker: str, indent: str) -> range:
    """The line range of the JSON object containing `start_marker`, found by its indentation."""
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(start_marker))
    start = at if start_marker.endswith("{") else at - 1
    end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith(indent + "}"))
    return range(start, end + 1)


def _changed_lines(before: str, after: str) -> tuple[set[int], set[int]]:
    old, new = before.splitlines(), after.splitlines()
    changed_old: set[int] = set()
    changed_new: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changed_old.update(range(i1, max(i2, i1 + 1)))
            changed_new.update(range(j1, max(j2, j1 + 1)))
    return changed_old, changed_new


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.set_param("n5", "b", [5, 6, 7]),
        lambda p: p.set_param("n5", "extra", {"$param": "n"}),
        lambda p: p.set_node_field("n5", "label", "Renamed"),
        lambda p: p.set_node_field("n5", "retries", 3),
        lambda p: p.set_node_field("n5", "disabled", True),
        lambda p: p.set_node_field("n5", "type", "math.multiply"),
    ],
)
def test_one_node_edit_changes_only_that_nodes_lines(edit: Any) -> None:
    pipeline = _big_pipeline()
    before = dumps(pipeline)
    edit(pipeline)
    after = dumps(pipeline)
    assert before != after
    changed_old, changed_new = _changed_lines(before, after)
    assert changed_old <= set(_block(before.splitlines(), '"id": "n5"', "    "))
    assert changed_new <= set(_block(after.splitlines(), '"id": "n5"', "    "))


def test_moving_a_node_changes_only_its_position_lines() -> None:
    pipeline = _big_pipeline()
    before = dumps(pipeline)
    pipeline.set_position("n5", 123.45, 67)
    after = dumps(pipeline)
    changed_old, changed_new = _changed_lines(before, after)
    assert changed_old and changed_old <= set(_block(before.splitlines(), '"n5": {', "      "))
    assert changed_new <= set(_block(after.splitlines(), '"n5": {', "      "))


# -- migrations -------------------------------------------------------------------------------------
def test_migration_hook_upgrades_an_older_file_on_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def from_v0(old: dict[str, Any]) -> dict[str, Any]:
        calls.append(old["version"])
        new = {k: v for k, v in old.items() if k != "steps"}
        new["nodes"] = [{"id": s["name"], "type": s["kind"]} for s in old["steps"]]
        return new

    monkeypatch.setitem(file_format.MIGRATIONS, 0, from_v0)
    path = write(
        tmp_path,
        {
            "format": "nodeloom.pipeline",
            "version": 0,
            "name": "old",
            "steps": [{"name": "a", "kind": "data.value"}],
        },
    )
    result = load_file(path)
    assert result.problems == [] and calls == [0]
    assert list(result.pipeline.nodes) == ["a"]
    assert json.loads(dumps(result.pipeline))["version"] == 1  # saved in the current version


def test_migrations_chain_to_the_current_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_format, "FORMAT_VERSION", 2)
    monkeypatch.setitem(
        file_format.MIGRATIONS, 1, lambda d: {**d, "description": d.get("description", "") + "+v2"}
    )
    path = write(tmp_path, doc(description="v1"))
    pipeline = load_pipeline(path)
    assert pipeline.description == "v1+v2"
    assert json.loads(dumps(pipeline))["version"] == 2
    assert (
        load_file(write(tmp_path, doc(version=3))).problems[0].message.startswith("format version 3 is newer")
    )


def test_a_failing_migration_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(file_format.MIGRATIONS, 0, lambda d: d["steps"])
    path = write(tmp_path, doc(version=0))
    assert [p.format() for p in load_file(path).problems] == [
        f"{path}: cannot upgrade from format version 0: KeyError: 'steps'"
    ]
