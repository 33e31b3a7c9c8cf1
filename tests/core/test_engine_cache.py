"""The Merkle result cache: hits, precise invalidation, reasons in words, cache opt-outs, cached inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import pipeline
from nodeloom.core.engine import RunOptions, RunResult, cached_inputs, explain_cache, run_pipeline
from nodeloom.core.events import NodeStatus

N = "py:engine_nodes:"


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def chain(tmp_path: Path) -> tuple[list[dict], list[tuple[str, str]], dict[str, Path]]:
    counters = {name: tmp_path / name for name in ("a", "b", "c", "side")}
    nodes = [
        {
            "id": "a",
            "type": N + "number",
            "params": {"value": {"$param": "v"}, "counter": str(counters["a"])},
        },
        {"id": "b", "type": N + "add", "params": {"b": 1, "counter": str(counters["b"])}},
        {"id": "c", "type": N + "double", "params": {"counter": str(counters["c"])}},
        {"id": "side", "type": N + "number", "params": {"value": 9, "counter": str(counters["side"])}},
    ]
    return nodes, [("a.result", "b.a"), ("b.result", "c.x")], counters


# after a change to b (or a re-run of it) on the chain: b and what it feeds ran, the rest came from the cache
B_AND_C_RERAN = {"a": "cached", "b": "succeeded", "c": "succeeded", "side": "cached"}


def statuses(result: RunResult) -> dict[str, str]:
    return {k: str(r.status) for k, r in result.nodes.items()}


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_second_run_is_cached_and_outputs_are_real_values(backend: str, tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 1})
    first = run_pipeline(p, RunOptions(backend=backend))
    second = run_pipeline(p, RunOptions(backend=backend))
    assert all(r.status is NodeStatus.SUCCEEDED for r in first.nodes.values())
    assert all(r.status is NodeStatus.CACHED for r in second.nodes.values())
    assert second.nodes["c"].outputs == {"result": 4}
    assert second.nodes["c"].reason == f"unchanged since run {first.run_id}"
    assert [lines(c) for c in counters.values()] == [1, 1, 1, 1]
    assert explain_cache(p) == {"a": None, "b": None, "c": None, "side": None}


def test_param_change_reruns_only_it_and_downstream(tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 1})
    run_pipeline(p)
    p.set_param("b", "b", 5)
    assert explain_cache(p) == {
        "a": None,
        "b": "param 'b' changed",
        "c": "input from 'b' changed",
        "side": None,
    }
    result = run_pipeline(p)
    assert statuses(result) == B_AND_C_RERAN
    assert result.nodes["c"].outputs["result"] == 12
    assert [lines(c) for c in counters.values()] == [1, 2, 2, 1]


def test_pipeline_parameter_override_is_explained(tmp_path: Path) -> None:
    nodes, edges, _ = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 1})
    run_pipeline(p)
    reasons = explain_cache(p, RunOptions(overrides={"v": 2}))
    assert reasons["a"] == "param 'value' changed"
    assert reasons["side"] is None


def test_after_a_failure_only_the_failed_node_and_dependants_rerun(tmp_path: Path) -> None:
    flaky_counter = tmp_path / "flaky"
    nodes = [
        {"id": "a", "type": N + "number", "params": {"value": 2, "counter": str(tmp_path / "a")}},
        {"id": "f", "type": N + "flaky", "params": {"counter": str(flaky_counter), "fail_times": 1}},
        {"id": "g", "type": N + "add", "params": {"counter": str(tmp_path / "g")}},
    ]
    p = pipeline(nodes, [("a.result", "f.x"), ("f.result", "g.a")])
    first = run_pipeline(p)
    assert (first.nodes["f"].status, first.nodes["g"].status) == (NodeStatus.FAILED, NodeStatus.SKIPPED)
    assert explain_cache(p) == {"a": None, "f": "failed last time", "g": "never run"}
    second = run_pipeline(p)
    assert statuses(second) == {"a": "cached", "f": "succeeded", "g": "succeeded"}
    assert lines(tmp_path / "a") == 1


def test_cache_false_node_and_its_dependants_always_rerun(tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    nodes[1]["cache"] = False
    p = pipeline(nodes, edges, {"v": 1})
    run_pipeline(p)
    reasons = explain_cache(p)
    assert reasons["b"] == "cache: false on this node"
    assert reasons["c"].startswith("input from 'b' changed")
    result = run_pipeline(p)
    assert statuses(result) == B_AND_C_RERAN
    assert [lines(c) for c in counters.values()] == [1, 2, 2, 1]


def test_no_cache_run_neither_reads_nor_writes(tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 1})
    run_pipeline(p, RunOptions(use_cache=False))
    assert explain_cache(p)["a"] == "never run"
    assert explain_cache(p, RunOptions(use_cache=False))["a"] == "cache disabled for this run"
    run_pipeline(p, RunOptions(use_cache=False))
    assert lines(counters["a"]) == 2


def test_rerun_forces_a_node_and_its_descendants(tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 1})
    run_pipeline(p)
    result = run_pipeline(p, RunOptions(rerun=["b"]))
    assert statuses(result) == B_AND_C_RERAN
    assert result.nodes["b"].reason == "re-run requested"
    assert result.nodes["c"].reason == "re-run requested upstream"


def test_cached_inputs_for_debugging_one_node(tmp_path: Path) -> None:
    nodes, edges, _ = chain(tmp_path)
    p = pipeline(nodes, edges, {"v": 3})
    assert cached_inputs(p, "c") is None
    run_pipeline(p)
    inputs = cached_inputs(p, "c")
    assert inputs == {"counter": str(tmp_path / "c"), "x": 4}
    assert cached_inputs(p, "a") == {"value": 3, "counter": str(tmp_path / "a")}


def test_renaming_a_node_keeps_its_cache(tmp_path: Path) -> None:
    nodes, edges, counters = chain(tmp_path)
    run_pipeline(pipeline(nodes, edges, {"v": 1}))
    nodes[3]["id"] = "renamed"
    result = run_pipeline(pipeline(nodes, edges, {"v": 1}))
    assert result.nodes["renamed"].status is NodeStatus.CACHED


def test_a_built_in_type_is_keyed_by_its_file_and_nodeloom_version() -> None:
    from nodeloom.core.engine.code_identity import module_identity
    from nodeloom.core.registry import default_registry

    builtin = default_registry().get("data.value")
    identity = module_identity(builtin)
    assert "nodeloom" in identity["packages"]
    assert any(path.endswith(".py") for path in identity["files"])


def test_write_private_makes_a_0600_file_in_a_0700_folder(tmp_path: Path) -> None:
    from nodeloom.core.home import write_private

    target = tmp_path / "deep" / "autosave" / "doc.json"
    write_private(target, "{}")
    assert target.read_text() == "{}"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert oct(target.parent.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "deep").stat().st_mode & 0o777) == "0o700"


def test_a_same_named_module_of_another_project_is_refused_not_run(tmp_path: Path) -> None:
    """In one process (the editor), project B's `steps` must not silently run project A's `steps`."""
    import json
    import sys

    from nodeloom.core.errors import PipelineError
    from nodeloom.core.file_format import loads

    files = {}
    for name, constant in (("a", 10), ("b", 20)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "twin_steps.py").write_text(
            f"K = {constant}\n\ndef f(x: int = 1) -> int:\n    return x + K\n"
        )
        files[name] = folder / "p.json"
        doc = {"format": "nodeloom.pipeline", "version": 1, "name": name, "parameters": {}, "edges": []}
        files[name].write_text(json.dumps({**doc, "nodes": [{"id": "f", "type": "py:twin_steps:f"}]}))
    try:
        first = run_pipeline(loads(files["a"].read_text()), RunOptions(file=str(files["a"])))
        assert first.nodes["f"].outputs == {"result": 11}
        with pytest.raises(PipelineError) as refused:
            run_pipeline(loads(files["b"].read_text()), RunOptions(file=str(files["b"])))
        (problem,) = refused.value.problems
        assert problem.node == "f" and "already loaded from" in problem.message
        assert str(tmp_path / "a" / "twin_steps.py") in problem.message
    finally:
        from nodeloom.core.registry import default_registry

        default_registry().forget_py(["py:twin_steps:f"])
        sys.modules.pop("twin_steps", None)
        for name in files:
            if str(tmp_path / name) in sys.path:
                sys.path.remove(str(tmp_path / name))
