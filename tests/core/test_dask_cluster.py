"""The dask backend on a real cluster: a `dask scheduler` and two `dask worker` processes started as
subprocesses on loopback (not a LocalCluster), as a user would run them on machines of their own.

The cluster keeps Dask's defaults (allowed-failures 3, no knowledge of Nodeloom): it is a cluster
Nodeloom did not start. Every process is started in its own session and killed with its children when
the module ends, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_processes import free_port, start_dask
from engine_helpers import cli, cli_popen, diamond_fan, pipeline, wait_for_line, write
from nodeloom.core.engine import RunOptions, run_pipeline
from nodeloom.core.events import (
    NodeFinished,
    NodeLog,
    NodeMetric,
    NodeProgress,
    NodeStarted,
    NodeStatus,
    RunStatus,
)

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

N = "py:engine_nodes:"
D = "py:dask_nodes:"
START_TIMEOUT_S = 60


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_for_workers(address: str, count: int) -> list[str]:
    with distributed.Client(address, timeout=START_TIMEOUT_S, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=START_TIMEOUT_S)
        return sorted(client.scheduler_info(n_workers=-1)["workers"])


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{free_port()}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        port = address.rsplit(":", 1)[1]
        scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port]
        procs.append(start_dask([*scheduler, "--no-dashboard", "--no-show"], logs / "scheduler.log"))
        for i in range(2):
            worker = ["distributed.cli.dask_worker", address, "--nthreads", "1", "--host", "127.0.0.1"]
            procs.append(start_dask([*worker, "--no-dashboard", "--name", f"w{i}"], logs / f"worker{i}.log"))
        _wait_for_workers(address, 2)
        yield address
    finally:
        _stop(procs)


@pytest.fixture()
def address(real_cluster: str) -> str:
    _wait_for_workers(real_cluster, 2)  # a test that killed a worker left its nanny restarting it
    return real_cluster


def options(address: str) -> RunOptions:
    return RunOptions(backend="dask", scheduler=address, use_cache=False)


def test_same_results_as_threads_on_the_real_workers(address: str) -> None:
    nodes, edges = diamond_fan()
    events: list = []
    ours = run_pipeline(pipeline(nodes, edges, {"v": 2}), options(address), events.append)
    threads = run_pipeline(pipeline(nodes, edges, {"v": 2}), RunOptions(use_cache=False))
    assert ours.status is RunStatus.SUCCEEDED
    assert {k: v.outputs for k, v in ours.nodes.items()} == {k: v.outputs for k, v in threads.nodes.items()}
    assert ours.nodes["sink"].outputs["result"] == [5, 3, 7, 2, 6, 4]
    workers = set(_wait_for_workers(address, 2))
    assert {e.worker for e in events if isinstance(e, NodeStarted)} <= workers
    assert events[0].workers == 2


def test_cli_failure_isolation_retries_and_cache_on_the_client(address: str, tmp_path: Path) -> None:
    nodes = [
        {"id": "root", "type": N + "number", "params": {"value": 3}},
        {"id": "bad", "type": N + "boom", "params": {"message": "no good"}},
        {"id": "after_bad", "type": N + "double"},
        {"id": "good", "type": N + "double"},
        {"id": "flaky", "type": N + "flaky", "params": {"counter": str(tmp_path / "calls"), "fail_times": 2}},
    ]
    nodes[-1] |= {"retries": 2, "retry_delay_s": 0.05}
    edges = [("root.result", "bad.x"), ("bad.result", "after_bad.x"), ("root.result", "good.x")]
    path = write(tmp_path / "iso.json", nodes, edges, name="dask-real-iso")
    out = tmp_path / "results.json"
    done = cli("run", str(path), "--scheduler", address, "--results", str(out), timeout=120)
    assert done.returncode == 1, done.stderr
    results = json.loads(out.read_text())["nodes"]
    assert (results["bad"]["status"], results["bad"]["error"]) == ("failed", "ValueError: no good")
    assert results["after_bad"]["status"] == "skipped" and results["good"]["outputs"]["result"] == 6
    assert (results["flaky"]["status"], results["flaky"]["attempts"]) == ("succeeded", 3)
    assert len((tmp_path / "calls").read_text().splitlines()) == 3  # executions == attempts
    again = cli("run", str(path), "--scheduler", address, "--results", str(out), timeout=120)
    statuses = {k: v["status"] for k, v in json.loads(out.read_text())["nodes"].items()}
    assert again.returncode == 1 and statuses["good"] == "cached" and statuses["flaky"] == "cached"


def test_per_node_timeout_sets_ctx_cancelled_and_the_rest_goes_on(address: str, tmp_path: Path) -> None:
    marker = tmp_path / "saw"
    nodes = [
        {"id": "w", "type": D + "watch_cancel", "params": {"marker": str(marker)}, "timeout_s": 0.5},
        {"id": "after", "type": N + "double"},
        {"id": "other", "type": N + "slow", "params": {"x": 5, "seconds": 0.1}},
    ]
    result = run_pipeline(pipeline(nodes, [("w.result", "after.x")]), options(address))
    assert result.nodes["w"].error == "timed out after 0.5 s"
    assert result.nodes["after"].status is NodeStatus.SKIPPED
    assert result.nodes["other"].outputs["result"] == 5
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text(encoding="utf-8") == "cancelled"


def test_cli_ctrl_c_cancels_the_run_and_the_running_nodes_see_it(address: str, tmp_path: Path) -> None:
    marker = tmp_path / "saw"
    nodes = [
        {"id": "w", "type": D + "watch_cancel", "params": {"marker": str(marker)}},
        {"id": "after", "type": N + "double"},
    ]
    path = write(tmp_path / "cancel.json", nodes, [("w.result", "after.x")], name="dask-real-cancel")
    out = tmp_path / "results.json"
    proc = cli_popen("run", str(path), "--scheduler", address, "--no-cache", "--results", str(out))
    try:
        wait_for_line(proc, "started   w", timeout=60)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    results = json.loads(out.read_text())["nodes"]
    assert results["w"]["status"] == "cancelled" and results["after"]["status"] == "cancelled"
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text(encoding="utf-8") == "cancelled"


def test_live_logs_metrics_and_progress_reach_the_listener_while_the_node_runs(address: str) -> None:
    node = {"id": "p", "type": D + "progress_slowly", "params": {"steps": 10, "pause": 0.15}}
    seen: list[tuple[float, object]] = []
    result = run_pipeline(pipeline([node]), options(address), lambda e: seen.append((time.monotonic(), e)))
    assert result.nodes["p"].outputs["result"] == 10
    finished = next(t for t, e in seen if isinstance(e, NodeFinished))
    progress = [(t, e) for t, e in seen if isinstance(e, NodeProgress)]
    assert [e.fraction for _, e in progress] == [(i + 1) / 10 for i in range(10)]
    assert progress[0][0] < finished - 0.5  # the first step arrived while the node still had 1.35 s to go
    assert [e.value for _, e in seen if isinstance(e, NodeMetric)] == [1.0 / (i + 1) for i in range(10)]
    logs = [e.message for _, e in seen if isinstance(e, NodeLog)]
    assert logs[:2] == ["step 1 of 10", "step 2 of 10"]


def test_a_worker_killed_mid_run_fails_its_node_clearly_and_the_run_ends(
    address: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pid"
    nodes = [
        {"id": "victim", "type": D + "pid_then_hang", "params": {"marker": str(marker), "seconds": 30}},
        {"id": "after", "type": N + "double"},
        {"id": "o1", "type": N + "slow", "params": {"x": 1, "seconds": 0.3}, "retries": 2},
        {"id": "o2", "type": N + "slow", "params": {"x": 2, "seconds": 0.3}, "retries": 2},
        {"id": "o3", "type": N + "slow", "params": {"x": 3, "seconds": 0.3}, "retries": 2},
    ]

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(int(marker.read_text(encoding="utf-8")), signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker, daemon=True)
    killer.start()
    begin = time.monotonic()
    result = run_pipeline(pipeline(nodes, [("victim.result", "after.x")]), options(address))
    killer.join(timeout=5)
    assert time.monotonic() - begin < 60  # generous: the victim would have slept 30 s
    victim = result.nodes["victim"]
    assert (victim.status, victim.attempts) == (NodeStatus.FAILED, 1)
    assert victim.error is not None and victim.error.startswith(
        "lost worker: the dask worker tcp://127.0.0.1:"
    )
    assert result.nodes["after"].status is NodeStatus.SKIPPED
    assert [result.nodes[n].outputs["result"] for n in ("o1", "o2", "o3")] == [1, 2, 3]
    assert result.status is RunStatus.FAILED


def test_cli_scheduler_killed_mid_run_ends_the_run_with_one_line_per_node(tmp_path: Path) -> None:
    # A cluster of its own: this test kills its scheduler.
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        start_dask(
            ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)], tmp_path / "s.log"
        )
    ]
    try:
        worker = ["distributed.cli.dask_worker", address, "--nthreads", "2", "--no-dashboard"]
        procs.append(start_dask(worker, tmp_path / "w.log"))
        _wait_for_workers(address, 1)
        marker = tmp_path / "pid"
        nodes = [
            {"id": "long", "type": D + "pid_then_hang", "params": {"marker": str(marker), "seconds": 30}},
            {"id": "after", "type": N + "double"},
        ]
        path = write(tmp_path / "p.json", nodes, [("long.result", "after.x")], name="dask-lost-scheduler")
        out = tmp_path / "results.json"
        proc = cli_popen("run", str(path), "--scheduler", address, "--no-cache", "--results", str(out))
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(procs[0].pid, signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    finally:
        _stop(procs)
    assert proc.returncode == 1, stderr
    results = json.loads(out.read_text())["nodes"]
    assert results["long"]["error"] == f"lost the connection to the dask scheduler at {address}"
    assert results["after"]["status"] == "skipped"
    assert "Traceback" not in stdout + stderr
