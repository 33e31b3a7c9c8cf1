"""The dask backend on a real `distributed.LocalCluster` (one per module, 2 worker processes), through
`--scheduler`-style addresses, plus one run that starts and closes its own cluster and one CLI run."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import cli, pipeline, write
from nodeloom.core.engine import RunOptions, RunStore, dask_backend, run_pipeline
from nodeloom.core.errors import PipelineError
from nodeloom.core.events import NodeFinished, NodeLog, NodeMetric, NodeStarted, NodeStatus, RunStatus

distributed = pytest.importorskip("distributed")

N = "py:engine_nodes:"


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its health/metrics page: any free port
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.fixture()
def address(cluster) -> str:
    return cluster.scheduler_address


def diamond_fan() -> tuple[list[dict], list[tuple[str, str]]]:
    nodes = [{"id": "a", "type": N + "number", "params": {"value": {"$param": "v"}}}]
    edges = []
    for i in range(6):
        nodes.append({"id": f"m{i}", "type": N + "add", "params": {"b": i}})
        edges.append(("a.result", f"m{i}.a"))
    nodes.append({"id": "sink", "type": N + "gather"})
    edges += [(f"m{i}.result", "sink.values") for i in (3, 1, 5, 0, 4, 2)]
    nodes.append({"id": "pair", "type": N + "split"})
    edges.append(("a.result", "pair.x"))
    return nodes, edges


def test_same_results_and_events_as_threads(address: str, cluster) -> None:
    nodes, edges = diamond_fan()
    nodes.append({"id": "talk", "type": N + "chatty"})
    events: list = []
    ours = run_pipeline(
        pipeline(nodes, edges, {"v": 2}),
        RunOptions(backend="dask", scheduler=address, use_cache=False),
        on_event=events.append,
    )
    threads = run_pipeline(pipeline(nodes, edges, {"v": 2}), RunOptions(use_cache=False))
    assert ours.status is RunStatus.SUCCEEDED
    assert {k: v.outputs for k, v in ours.nodes.items()} == {k: v.outputs for k, v in threads.nodes.items()}
    assert ours.nodes["sink"].outputs["result"] == [5, 3, 7, 2, 6, 4]
    assert events[0].backend == "dask" and events[0].workers == 2
    workers = set(cluster.scheduler_info["workers"])
    started = [e for e in events if isinstance(e, NodeStarted)]
    assert {e.node_id for e in started} == set(nodes_ids(nodes)) and {e.worker for e in started} <= workers
    # Every node: NodeStarted, then its own events, then NodeFinished; the context's events came home.
    for nid in nodes_ids(nodes):
        kinds = [type(e).__name__ for e in events if getattr(e, "node_id", None) == nid]
        assert kinds[0] == "NodeStarted" and kinds[-1] == "NodeFinished" and kinds.count("NodeFinished") == 1
    talk = [e for e in events if getattr(e, "node_id", None) == "talk"]
    assert [e.message for e in talk if isinstance(e, NodeLog)][:2] == ["hello from print", "two parts joined"]
    assert [(e.name, e.step, e.value) for e in talk if isinstance(e, NodeMetric)] == [
        ("loss", 1.0, 0.5),
        ("loss", 2.0, 0.25),
    ]
    with RunStore() as store:
        recorded = {n.node_id: n.worker for n in store.node_runs(ours.run_id)}
    assert set(recorded.values()) <= workers


def nodes_ids(nodes: list[dict]) -> list[str]:
    return [n["id"] for n in nodes]


def test_failing_branch_is_isolated_and_cache_is_kept_here(address: str) -> None:
    nodes = [
        {"id": "root", "type": N + "number", "params": {"value": 3}},
        {"id": "bad", "type": N + "boom", "params": {"message": "no good"}},
        {"id": "after_bad", "type": N + "double"},
        {"id": "good", "type": N + "double"},
    ]
    edges = [("root.result", "bad.x"), ("bad.result", "after_bad.x"), ("root.result", "good.x")]
    options = RunOptions(backend="dask", scheduler=address)
    first = run_pipeline(pipeline(nodes, edges, name="dask-branch"), options)
    assert first.status is RunStatus.FAILED
    assert (first.nodes["bad"].status, first.nodes["bad"].error) == (NodeStatus.FAILED, "ValueError: no good")
    assert first.nodes["after_bad"].status is NodeStatus.SKIPPED
    assert first.nodes["good"].outputs["result"] == 6
    again = run_pipeline(pipeline(nodes, edges, name="dask-branch"), options)
    assert {k: str(v.status) for k, v in again.nodes.items()} == {
        "root": "cached",
        "bad": "failed",
        "after_bad": "skipped",
        "good": "cached",
    }


def test_flaky_node_retries(address: str, tmp_path: Path) -> None:
    node = {
        "id": "f",
        "type": N + "flaky",
        "params": {"counter": str(tmp_path / "calls"), "fail_times": 2},
        "retries": 3,
        "retry_delay_s": 0.05,
    }
    events: list = []
    result = run_pipeline(
        pipeline([node]),
        RunOptions(backend="dask", scheduler=address, use_cache=False),
        on_event=events.append,
    )
    assert result.nodes["f"].status is NodeStatus.SUCCEEDED and result.nodes["f"].attempts == 3
    assert [e.attempt for e in events if isinstance(e, NodeStarted)] == [1, 2, 3]
    warnings = [e.message for e in events if isinstance(e, NodeLog) and e.level == "warning"]
    assert warnings[0].startswith("attempt 1 failed: RuntimeError: flaky failure 1")


def test_timeout_on_its_own_local_cluster_which_is_closed_at_the_end() -> None:
    # No address: the run starts a LocalCluster and closes it, which also ends the abandoned task.
    nodes = [
        {"id": "hang", "type": N + "hang", "params": {"seconds": 60}, "timeout_s": 0.5},
        {"id": "after", "type": N + "double"},
        {"id": "other", "type": N + "slow", "params": {"x": 5, "seconds": 0.1}},
    ]
    events: list = []
    start = time.monotonic()
    result = run_pipeline(
        pipeline(nodes, [("hang.result", "after.x")]),
        RunOptions(backend="dask", workers=2, use_cache=False),
        on_event=events.append,
    )
    assert time.monotonic() - start < 30  # generous: proves the 60 s task was not waited for
    assert result.nodes["hang"].status is NodeStatus.FAILED
    assert result.nodes["hang"].error == "timed out after 0.5 s"
    assert result.nodes["after"].status is NodeStatus.SKIPPED
    assert result.nodes["other"].outputs["result"] == 5
    finished = [e for e in events if isinstance(e, NodeFinished) and e.node_id == "hang"]
    assert len(finished) == 1


def test_missing_extra_and_scheduler_without_dask_are_one_line_errors(monkeypatch) -> None:
    one = pipeline([{"id": "a", "type": N + "number"}])
    with pytest.raises(PipelineError) as raised:
        run_pipeline(one, RunOptions(backend="threads", scheduler="tcp://127.0.0.1:1"))
    assert "needs the dask backend" in raised.value.problems[0].message
    monkeypatch.setattr(dask_backend, "distributed", None)
    with pytest.raises(PipelineError) as raised:
        run_pipeline(one, RunOptions(backend="dask"))
    assert raised.value.problems[0].message == dask_backend.INSTALL_HINT


def test_cli_backend_dask_with_scheduler(address: str, tmp_path: Path) -> None:
    nodes, edges = diamond_fan()
    path = write(tmp_path / "fan.json", nodes, edges, {"v": 1}, name="dask-cli")
    out = tmp_path / "results.json"
    done = cli("run", str(path), "--scheduler", address, "--results", str(out), timeout=60)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["nodes"]["sink"]["outputs"]["result"] == [4, 2, 6, 1, 5, 3]
    assert "on 2 dask" in done.stdout and "tcp://" in done.stdout
    bad = cli("run", str(path), "--backend", "processes", "--scheduler", address)
    assert bad.returncode == 2 and "--scheduler needs --backend dask" in bad.stderr
