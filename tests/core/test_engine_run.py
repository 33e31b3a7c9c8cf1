"""run_pipeline semantics on real functions: order, fan-in, failure isolation, retries, timeouts, cancel."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from engine_helpers import pipeline
from nodeloom.core.engine import RunOptions, run_pipeline
from nodeloom.core.errors import PipelineError
from nodeloom.core.events import (
    NodeFinished,
    NodeLog,
    NodeMetric,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
)

BACKENDS = ["threads", "processes"]
N = "py:engine_nodes:"


def diamond(counter: Path | None = None) -> list[dict]:
    c = {"counter": str(counter)} if counter else {}
    return [
        {"id": "a", "type": N + "number", "params": {"value": {"$param": "v"}, **c}},
        {"id": "b", "type": N + "double", "params": c},
        {"id": "c", "type": N + "add", "params": {"b": 10, **c}},
        {"id": "d", "type": N + "gather"},
    ]


DIAMOND_EDGES = [("a.result", "b.x"), ("a.result", "c.a"), ("c.result", "d.values"), ("b.result", "d.values")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_diamond_values_and_event_order(backend: str) -> None:
    events: list = []
    result = run_pipeline(
        pipeline(diamond(), DIAMOND_EDGES, {"v": 2}), RunOptions(backend=backend), on_event=events.append
    )
    assert result.status is RunStatus.SUCCEEDED
    assert {k: v.outputs["result"] for k, v in result.nodes.items()} == {
        "a": 2,
        "b": 4,
        "c": 12,
        "d": [12, 4],
    }
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert events[-1].counts == {"succeeded": 4}
    finished = [e.node_id for e in events if isinstance(e, NodeFinished)]
    assert sorted(finished) == ["a", "b", "c", "d"]
    position = {e.node_id: i for i, e in enumerate(events) if isinstance(e, NodeFinished)}
    started = {e.node_id: i for i, e in enumerate(events) if isinstance(e, NodeStarted)}
    assert position["a"] < started["b"] and position["a"] < started["c"]
    assert max(position["b"], position["c"]) < started["d"]
    for e in events:
        if isinstance(e, NodeStarted):
            assert e.worker.startswith(backend[:-1] if backend == "threads" else "process")


def test_fan_out_fan_in_gathers_in_edge_order() -> None:
    nodes = [{"id": "src", "type": N + "number", "params": {"value": 1}}]
    edges = []
    for i in range(8):
        nodes.append({"id": f"m{i}", "type": N + "add", "params": {"b": i}})
        edges.append(("src.result", f"m{i}.a"))
    nodes.append({"id": "sink", "type": N + "gather"})
    order = [5, 2, 7, 0, 1, 6, 3, 4]
    edges += [(f"m{i}.result", "sink.values") for i in order]
    result = run_pipeline(pipeline(nodes, edges), RunOptions(workers=4))
    assert result.nodes["sink"].outputs["result"] == [1 + i for i in order]


def test_waiting_branches_overlap_on_threads_and_trivial_ones_stay_on_one_thread() -> None:
    # Eight 0.5 s sleeps after a source: threads join in as the running ones wait, so they overlap.
    nodes = [{"id": "src", "type": N + "number", "params": {"value": 1}}]
    nodes += [{"id": f"s{i}", "type": N + "slow", "params": {"seconds": 0.5}} for i in range(8)]
    edges = [("src.result", f"s{i}.x") for i in range(8)]
    events: list = []
    start = time.monotonic()
    result = run_pipeline(
        pipeline(nodes, edges), RunOptions(workers=8, use_cache=False), on_event=events.append
    )
    assert time.monotonic() - start < 3.0  # generous: one after another would take 4 s
    assert result.status is RunStatus.SUCCEEDED
    workers = {e.worker for e in events if isinstance(e, NodeStarted) and e.node_id != "src"}
    assert len(workers) == 8
    # Trivial nodes: the worker that finishes one runs the next; no thread joins in to fight over the GIL.
    trivial = [{"id": "src", "type": N + "number"}] + [
        {"id": f"t{i}", "type": N + "double"} for i in range(50)
    ]
    events.clear()
    run_pipeline(
        pipeline(trivial, [("src.result", f"t{i}.x") for i in range(50)]),
        RunOptions(workers=8, use_cache=False),
        on_event=events.append,
    )
    assert len({e.worker for e in events if isinstance(e, NodeStarted)}) <= 4  # the old eager pool: 8


@pytest.mark.parametrize("backend", BACKENDS)
def test_failure_isolated_to_its_branch(backend: str) -> None:
    nodes = [
        {"id": "root", "type": N + "number", "params": {"value": 3}},
        {"id": "bad", "type": N + "boom", "params": {"message": "no good\nsecond line"}},
        {"id": "after_bad", "type": N + "double"},
        {"id": "good", "type": N + "double"},
        {"id": "after_good", "type": N + "double"},
    ]
    edges = [
        ("root.result", "bad.x"),
        ("bad.result", "after_bad.x"),
        ("root.result", "good.x"),
        ("good.result", "after_good.x"),
    ]
    events: list = []
    result = run_pipeline(pipeline(nodes, edges), RunOptions(backend=backend), on_event=events.append)
    assert result.status is RunStatus.FAILED
    assert result.nodes["bad"].status is NodeStatus.FAILED
    assert result.nodes["bad"].error == "ValueError: no good"
    assert result.nodes["after_bad"].status is NodeStatus.SKIPPED
    assert result.nodes["after_bad"].reason == "upstream 'bad' failed"
    assert result.nodes["after_good"].outputs["result"] == 12
    tracebacks = [
        e.message for e in events if isinstance(e, NodeLog) and e.node_id == "bad" and e.level == "error"
    ]
    assert tracebacks and "in boom" in tracebacks[0] and "invoke.py" not in tracebacks[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_flaky_node_retries_until_it_succeeds(backend: str, tmp_path: Path) -> None:
    counter = tmp_path / "calls"
    node = {
        "id": "f",
        "type": N + "flaky",
        "params": {"counter": str(counter), "fail_times": 2},
        "retries": 3,
        "retry_delay_s": 0.05,
    }
    events: list = []
    result = run_pipeline(
        pipeline([node]), RunOptions(backend=backend, use_cache=False), on_event=events.append
    )
    assert result.nodes["f"].status is NodeStatus.SUCCEEDED
    assert result.nodes["f"].attempts == 3
    assert len(counter.read_text().splitlines()) == 3
    assert [e.attempt for e in events if isinstance(e, NodeStarted)] == [1, 2, 3]
    warnings = [
        e.message
        for e in events
        if isinstance(e, NodeLog) and e.level == "warning" and "retrying" in e.message
    ]
    assert len(warnings) == 2 and "flaky failure 1" in warnings[0]


def test_retries_exhausted_reports_last_error(tmp_path: Path) -> None:
    counter = tmp_path / "calls"
    node = {
        "id": "f",
        "type": N + "flaky",
        "params": {"counter": str(counter), "fail_times": 5},
        "retries": 1,
    }
    result = run_pipeline(pipeline([node]), RunOptions(use_cache=False))
    assert result.nodes["f"].status is NodeStatus.FAILED
    assert result.nodes["f"].attempts == 2
    assert result.nodes["f"].error == "RuntimeError: flaky failure 2"


def test_hanging_thread_times_out_and_the_run_goes_on() -> None:
    nodes = [
        {"id": "hang", "type": N + "hang", "params": {"seconds": 30}, "timeout_s": 0.3},
        {"id": "after", "type": N + "double"},
        {"id": "other", "type": N + "slow", "params": {"x": 5, "seconds": 0.1}},
    ]
    start = time.monotonic()
    result = run_pipeline(pipeline(nodes, [("hang.result", "after.x")]), RunOptions(use_cache=False))
    assert time.monotonic() - start < 10  # generous: proves we did not wait for the 30 s thread
    assert result.nodes["hang"].status is NodeStatus.FAILED
    assert result.nodes["hang"].error == "timed out after 0.3 s"
    assert result.nodes["after"].status is NodeStatus.SKIPPED
    assert result.nodes["other"].outputs["result"] == 5


def test_hanging_process_is_killed_at_its_deadline(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    nodes = [
        {
            "id": "hang",
            "type": N + "hang",
            "params": {"seconds": 30, "marker": str(marker)},
            "timeout_s": 0.5,
            "retries": 1,
        }
    ]
    result = run_pipeline(pipeline(nodes), RunOptions(backend="processes", use_cache=False))
    assert result.nodes["hang"].status is NodeStatus.FAILED
    assert result.nodes["hang"].attempts == 2
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_mid_run(backend: str) -> None:
    nodes = [
        {"id": "quick", "type": N + "number", "params": {"value": 1}},
        {"id": "coop", "type": N + "cooperative", "params": {"seconds": 30}},
        {"id": "later", "type": N + "double"},
    ]
    cancel = threading.Event()
    timer = threading.Timer(0.6, cancel.set)
    timer.start()
    start = time.monotonic()
    events: list = []
    result = run_pipeline(
        pipeline(nodes, [("coop.result", "later.x")]),
        RunOptions(backend=backend, use_cache=False),
        events.append,
        cancel,
    )
    assert time.monotonic() - start < 10
    assert result.status is RunStatus.CANCELLED
    assert result.nodes["quick"].status is NodeStatus.SUCCEEDED
    assert result.nodes["coop"].status is NodeStatus.CANCELLED
    assert result.nodes["later"].status is NodeStatus.CANCELLED
    assert result.nodes["later"].reason == "run cancelled before it started"
    assert isinstance(events[-1], RunFinished) and events[-1].status is RunStatus.CANCELLED
    assert any(isinstance(e, NodeMetric) and e.node_id == "coop" for e in events)


def test_disabled_node_and_descendants_are_skipped() -> None:
    nodes = [
        {"id": "a", "type": N + "number", "params": {"value": 2}, "disabled": True},
        {"id": "b", "type": N + "double"},
        {"id": "c", "type": N + "number", "params": {"value": 7}},
    ]
    result = run_pipeline(pipeline(nodes, [("a.result", "b.x")]))
    assert result.status is RunStatus.SUCCEEDED
    assert (result.nodes["a"].status, result.nodes["a"].reason) == (NodeStatus.SKIPPED, "disabled")
    assert (result.nodes["b"].status, result.nodes["b"].reason) == (
        NodeStatus.SKIPPED,
        "upstream 'a' is disabled",
    )
    assert result.nodes["c"].outputs == {"result": 7}


@pytest.mark.parametrize("function", ["exit_hard", "segfault"])
def test_process_crash_fails_that_node_alone(function: str) -> None:
    nodes = [
        {"id": "crash", "type": N + function},
        {"id": "after", "type": N + "double"},
        {"id": "fine", "type": N + "slow", "params": {"x": 3, "seconds": 0.2}},
        {"id": "fine2", "type": N + "double"},
    ]
    result = run_pipeline(
        pipeline(nodes, [("crash.result", "after.x"), ("fine.result", "fine2.x")]),
        RunOptions(backend="processes", workers=2, use_cache=False),
    )
    crash = result.nodes["crash"]
    assert crash.status is NodeStatus.FAILED
    assert crash.error == (
        "worker process exited with code 3"
        if function == "exit_hard"
        else "worker process died (signal SIGSEGV)"
    )
    assert result.nodes["after"].status is NodeStatus.SKIPPED
    assert result.nodes["fine2"].outputs == {"result": 6}


def test_both_backends_give_the_same_results() -> None:
    nodes = [
        {"id": "a", "type": N + "number", "params": {"value": 1.5}},
        {"id": "s", "type": N + "split"},
        {"id": "lo", "type": N + "double"},
        {"id": "hi", "type": N + "double"},
        {"id": "all", "type": N + "gather"},
        {"id": "sum", "type": "math.sum"},
    ]
    edges = [
        ("a.result", "s.x"),
        ("s.low", "lo.x"),
        ("s.high", "hi.x"),
        ("hi.result", "all.values"),
        ("lo.result", "all.values"),
        ("lo.result", "sum.values"),
        ("hi.result", "sum.values"),
    ]
    outputs = {}
    for backend in BACKENDS:
        result = run_pipeline(pipeline(nodes, edges), RunOptions(backend=backend, use_cache=False))
        outputs[backend] = {k: v.outputs for k, v in result.nodes.items()}
    assert outputs["threads"] == outputs["processes"]
    assert outputs["threads"]["all"] == {"result": [5.0, 1.0]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_print_and_logging_are_captured_into_the_node_log(
    backend: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(
        logging.INFO
    )  # pytest configures logging (WARNING); an unconfigured root is lowered to INFO
    events: list = []
    run_pipeline(
        pipeline([{"id": "talk", "type": N + "chatty"}, {"id": "quiet", "type": N + "number"}]),
        RunOptions(backend=backend, use_cache=False),
        events.append,
    )
    logs = [(e.level, e.message) for e in events if isinstance(e, NodeLog) and e.node_id == "talk"]
    assert ("info", "hello from print") in logs
    assert ("info", "two parts joined") in logs
    assert ("warning", "engine_nodes: a warning via logging") in logs
    assert ("info", "engine_nodes: an info via logging") in logs
    assert ("info", "via ctx") in logs
    assert "hello from print" not in capsys.readouterr().out
    metrics = [(e.step, e.value) for e in events if isinstance(e, NodeMetric)]
    assert metrics == [(1.0, 0.5), (2.0, 0.25)]


def test_targets_run_only_what_they_need(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    nodes = diamond(counter) + [{"id": "other", "type": N + "number", "params": {"counter": str(counter)}}]
    result = run_pipeline(
        pipeline(nodes, DIAMOND_EDGES, {"v": 1}), RunOptions(targets=["b"], use_cache=False)
    )
    assert list(result.nodes) == ["a", "b"]
    assert len(counter.read_text().splitlines()) == 2


def test_overrides_and_their_errors() -> None:
    p = pipeline(diamond(), DIAMOND_EDGES, {"v": 1})
    result = run_pipeline(p, RunOptions(overrides={"v": 5}, use_cache=False))
    assert result.nodes["d"].outputs["result"] == [15, 10]
    with pytest.raises(PipelineError, match="no such pipeline parameter"):
        run_pipeline(p, RunOptions(overrides={"nope": 1}))
    with pytest.raises(PipelineError, match="unknown target node 'zz'"):
        run_pipeline(p, RunOptions(targets=["zz"]))
    with pytest.raises(PipelineError, match="expected float"):
        run_pipeline(p, RunOptions(overrides={"v": "text"}))


def test_the_callers_pipeline_is_not_touched_and_listener_errors_do_not_break_the_run() -> None:
    p = pipeline(diamond(), DIAMOND_EDGES, {"v": 1})

    def listener(event: object) -> None:
        p.set_param("a", "value", 99)  # the editor keeps editing during a run
        raise RuntimeError("listener bug")

    result = run_pipeline(p, RunOptions(use_cache=False), on_event=listener)
    assert result.status is RunStatus.SUCCEEDED
    assert result.nodes["a"].outputs["result"] == 1


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_hurried_cancel_skips_the_grace_period_and_still_ends_cancelled(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil
    from nodeloom.core.engine import RunCancel, scheduler

    monkeypatch.setattr(scheduler, "CANCEL_GRACE_S", 120.0)  # only a hurry can end this run soon
    pids = tmp_path / "pids"
    busy = (  # ignores ctx.cancelled: a CPU loop in a process; a sleeping thread (costs no CPU here)
        {"type": "py:hostile_nodes:spin", "params": {"pids": str(pids), "seconds": 60}}
        if backend == "processes"
        else {"type": N + "slow", "params": {"counter": str(pids), "seconds": 60}}
    )
    p = pipeline(
        [{"id": "spin", **busy}, {"id": "after", "type": N + "double"}],
        [("spin.result", "after.x")],
    )
    cancel = RunCancel()

    def cancel_then_hurry() -> None:
        deadline = time.monotonic() + 30
        while not pids.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        cancel.request()
        time.sleep(0.3)
        cancel.request(hurry=True)

    helper = threading.Thread(target=cancel_then_hurry)
    helper.start()
    begin = time.monotonic()
    result = run_pipeline(p, RunOptions(backend=backend, workers=2), cancel=cancel)
    helper.join()
    assert time.monotonic() - begin < 60
    assert result.status == "cancelled"
    assert {nid: r.status for nid, r in result.nodes.items()} == {"spin": "cancelled", "after": "cancelled"}
    if backend == "processes":
        pid = int(pids.read_text().split()[0])
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_an_engine_fault_in_a_thread_worker_fails_the_attempt_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nodeloom.core.engine.cache import ResultCache

    def broken_store(self, key: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")  # not an OSError: an engine fault, not a full disk

    monkeypatch.setattr(ResultCache, "store_bytes", broken_store)
    p = pipeline(
        [{"id": "a", "type": N + "number", "params": {"value": 2}}, {"id": "b", "type": N + "double"}],
        [("a.result", "b.x")],
    )
    result = run_pipeline(p, RunOptions(workers=1, record=False))
    assert result.nodes["a"].status == "succeeded"  # accepted before the fault
    assert result.nodes["b"].status == "failed"  # handed to the faulty thread: reported, not lost
    assert result.nodes["b"].error == "internal error in worker thread-1: RuntimeError: disk on fire"


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_run_ends_only_once_its_results_are_in_the_cache(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nodeloom.core.engine.cache import ResultCache

    original = ResultCache.store_bytes

    def slow_store(self, key: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
        time.sleep(0.3)  # a slow disk: the result is written after the scheduler recorded the success
        original(self, key, data)

    monkeypatch.setattr(ResultCache, "store_bytes", slow_store)
    p = pipeline([{"id": "a", "type": N + "number", "params": {"value": 2}}])
    assert run_pipeline(p, RunOptions(backend=backend, record=False)).nodes["a"].status == "succeeded"
    again = run_pipeline(p, RunOptions(backend=backend, record=False))
    assert again.nodes["a"].status == "cached" and again.nodes["a"].outputs == {"result": 2}
