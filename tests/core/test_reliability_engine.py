"""Issue 8, engine side, through the real CLI in a subprocess (private NODELOOM_HOME per test):
hostile nodes must fail alone (8.1), hostile values must never break a run or its cache (8.2), a late
result is never cached (8.4), workers die with their parent (8.11) and a cancel, hurried or not, ends
with every worker stopped and every node final (8.10/8.12)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil
import pytest
from engine_helpers import cli, cli_popen, write
from hostile_nodes import lines
from nodeloom.core.engine import RunStore

H = "py:hostile_nodes:"
BASE_KINDS = {
    "cancelled": "CancelledError: stopped from inside",
    "generator_exit": "GeneratorExit: closed",
    "custom": "CustomBase: custom base",
    "exit": "SystemExit: 3",
    "interrupt": "KeyboardInterrupt",
    "bad_str": "BadStr",
}


def results_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def last_run() -> tuple[str, dict[str, str]]:
    with RunStore() as store:
        run = store.list_runs(1)[0]
        return run.status, {n.node_id: n.status for n in store.node_runs(run.run_id)}


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def wait_gone(procs: list[psutil.Process], timeout: float = 10) -> list[psutil.Process]:
    """The processes still alive (zombies count as gone) after waiting up to `timeout`."""
    deadline = time.monotonic() + timeout
    alive = procs
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _alive(p)]
        time.sleep(0.05)
    return alive


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_lines(path: Path, count: int, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = lines(path)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{path.name}: expected {count} lines, got {lines(path)}")


def each_kind_feeding_a_node(
    node_type: str, kinds: Iterable[str], prefix: str
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """One `node_type` node per kind (id = the kind, param `kind`), each feeding a `fine` node
    `{prefix}_{kind}`: what happens downstream of each hostile node is checked on its own."""
    nodes: list[dict[str, Any]] = []
    edges = []
    for kind in kinds:
        nodes += [
            {"id": kind, "type": node_type, "params": {"kind": kind}},
            {"id": f"{prefix}_{kind}", "type": H + "fine"},
        ]
        edges.append((f"{kind}.result", f"{prefix}_{kind}.x"))
    return nodes, edges


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_node_raising_any_base_exception_fails_alone(backend: str, tmp_path: Path) -> None:
    nodes, edges = each_kind_feeding_a_node(H + "raise_base", BASE_KINDS, "after")
    path = write(tmp_path / "p.json", [{"id": "ok", "type": H + "fine", "params": {"x": 2}}, *nodes], edges)
    out = tmp_path / "r.json"
    proc = cli("run", str(path), "--backend", backend, "--results", str(out), timeout=90)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = results_of(out)["nodes"]
    assert doc["ok"]["status"] == "succeeded" and doc["ok"]["outputs"] == {"result": 2}
    for kind, error in BASE_KINDS.items():
        assert (doc[kind]["status"], doc[kind]["error"]) == ("failed", error), kind
        assert doc[f"after_{kind}"]["status"] == "skipped"
    assert last_run()[0] == "failed"


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_values_that_cannot_be_described_never_break_the_run_nor_its_cache(
    backend: str, tmp_path: Path
) -> None:
    kinds = {
        "repr": "Unprintable",
        "shape": "BadShape",
        "bigint": "int (5,001 digits)",
        "len": "BadLen",
        "surrogate": "'a\\ud800b'",
        "escape": "\x1b[31mred\u202e",  # JSON as it stands: the results file escapes it
    }
    path = write(tmp_path / "p.json", *each_kind_feeding_a_node(H + "hostile_value", kinds, "use"))
    for expected in ("succeeded", "cached"):  # the second run reads every value back from the cache
        out = tmp_path / f"{expected}.json"
        proc = cli("run", str(path), "--backend", backend, "--results", str(out), timeout=90)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        doc = results_of(out)["nodes"]
        for kind, summary in kinds.items():
            assert doc[kind]["status"] == expected, (kind, doc[kind])
            assert doc[kind]["outputs"] == {"result": summary}, kind
            assert doc[f"use_{kind}"]["status"] == expected
        assert "\x1b" not in proc.stdout  # nothing raw reaches the terminal


def test_a_timed_out_or_retried_attempt_s_late_result_is_never_cached(tmp_path: Path) -> None:
    late = tmp_path / "late"
    nodes = [
        # every attempt times out at 0.3 s and returns at 1.0 s, while `keep` keeps the run going
        {
            "id": "late",
            "type": H + "late",
            "params": {"seconds": 1.0, "counter": str(late)},
            "timeout_s": 0.3,
            "retries": 1,
        },
        {"id": "keep", "type": H + "late", "params": {"seconds": 2.0}, "cache": False},
    ]
    path = write(tmp_path / "p.json", nodes)
    for run in (1, 2):
        out = tmp_path / f"r{run}.json"
        proc = cli("run", str(path), "--results", str(out), timeout=60)
        assert proc.returncode == 1, proc.stderr
        doc = results_of(out)["nodes"]
        assert doc["late"]["status"] == "failed" and doc["late"]["attempts"] == 2
        assert doc["late"]["error"] == "timed out after 0.3 s"
        assert doc["keep"]["status"] == "succeeded"
        assert len(lines(late)) == 2 * run  # both late results arrived during the run, and were dropped


def test_a_cancelled_attempt_s_result_is_never_cached(tmp_path: Path) -> None:
    counter = tmp_path / "late"
    params = {"seconds": 1.2, "counter": str(counter)}
    path = write(tmp_path / "p.json", [{"id": "late", "type": H + "late", "params": params}])
    for run in (1, 2):
        proc = cli_popen("run", str(path))
        wait_for_line(proc, "started   late")
        time.sleep(0.8)  # Ctrl-C while it runs: it returns 0.4 s later, within the cancel grace period
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
        status, nodes = last_run()
        assert status == "cancelled" and nodes == {"late": "cancelled"}
        assert len(lines(counter)) == run  # it returned each time: the first result was not cached


def wait_for_line(proc, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if text in line:
            return
    raise AssertionError(f"never saw {text!r}")


def _spin_pipeline(tmp_path: Path) -> tuple[Path, Path]:
    pids = tmp_path / "pids"
    nodes = [
        {"id": "spin", "type": H + "spin", "params": {"pids": str(pids)}},
        {"id": "map", "type": H + "spin_map", "params": {"pids": str(pids), "items": 2}},
    ]
    return write(tmp_path / "p.json", nodes), pids


@pytest.mark.slow
def test_kill_9_of_the_run_takes_every_process_worker_with_it(tmp_path: Path) -> None:
    path, pids = _spin_pipeline(tmp_path)
    proc = cli_popen("run", str(path), "--backend", "processes", "--workers", "2")
    recorded = wait_lines(pids, 4)  # both nodes and both map items are burning CPU
    family = descendants(proc.pid)
    assert {int(p) for p in recorded} <= {p.pid for p in family}
    proc.kill()
    proc.wait(timeout=10)
    assert wait_gone(family) == []
    _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.slow
@pytest.mark.parametrize("signals", [1, 2])
def test_cancel_and_hurried_cancel_stop_every_process_worker(signals: int, tmp_path: Path) -> None:
    path, pids = _spin_pipeline(tmp_path)
    proc = cli_popen("run", str(path), "--backend", "processes", "--workers", "2")
    wait_lines(pids, 4)
    family = descendants(proc.pid)
    for _ in range(signals):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    status, nodes = last_run()
    assert status == "cancelled" and set(nodes.values()) == {"cancelled"}
    assert wait_gone(family) == []


def test_a_node_closing_stdout_does_not_break_the_run(tmp_path: Path) -> None:
    nodes = [{"id": "close", "type": H + "close_stdout"}, {"id": "after", "type": H + "fine"}]
    path = write(tmp_path / "p.json", nodes, [("close.result", "after.x")])
    out = tmp_path / "r.json"
    proc = cli("run", str(path), "--results", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "still here" in proc.stdout and "after" in proc.stdout  # its print became its log line
    assert results_of(out)["nodes"]["after"]["status"] == "succeeded"


def test_a_map_item_that_kills_its_worker_process_fails_the_map_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", [{"id": "m", "type": H + "exit_map"}])
    out = tmp_path / "r.json"
    proc = cli("run", str(path), "--backend", "processes", "--results", str(out))
    assert proc.returncode == 1, proc.stderr
    error = results_of(out)["nodes"]["m"]["error"]
    assert error == "MapItemError: item 0 (3) failed: worker process exited with code 3"
