"""`nodeloom run` and `nodeloom runs` in real subprocesses: exit codes, results file, targets, cache,
Ctrl-C, a killed run's history and a hanging node that must not keep the process alive."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest
from engine_helpers import cli, cli_popen, wait_for_line, write
from nodeloom.core.engine import RunStore

N = "py:engine_nodes:"


def test_results_file_and_exit_code_of_a_failed_run(tmp_path: Path) -> None:
    nodes = [
        {
            "id": "data",
            "type": "ml.make_regression",
            "params": {"n_samples": 10, "n_features": 2},
            "label": "Data",
        },
        {"id": "n", "type": N + "number", "params": {"value": {"$param": "v"}}},
        {"id": "bad", "type": N + "boom"},
        {"id": "after", "type": N + "double"},
        {"id": "all", "type": N + "gather"},
    ]
    edges = [("n.result", "bad.x"), ("bad.result", "after.x"), ("n.result", "all.values")]
    path = write(tmp_path / "p.json", nodes, edges, {"v": 1}, name="cli-test")
    out = tmp_path / "out" / "results.json"
    proc = cli("run", str(path), "--set", "v=2.5", "--results", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(out.read_text())
    assert doc["status"] == "failed" and doc["pipeline"] == "cli-test" and doc["run_id"]
    assert list(doc["nodes"]) == ["data", "n", "bad", "after", "all"]
    assert doc["nodes"]["n"] == {
        "status": "succeeded",
        "attempts": 1,
        "duration_s": doc["nodes"]["n"]["duration_s"],
        "error": None,
        "outputs": {"result": 2.5},
    }
    assert doc["nodes"]["all"]["outputs"] == {"result": [2.5]}
    assert doc["nodes"]["data"]["outputs"]["X"] == "ndarray 10 x 2 float64"
    assert doc["nodes"]["bad"]["status"] == "failed" and doc["nodes"]["bad"]["error"] == "ValueError: boom"
    assert doc["nodes"]["after"]["status"] == "skipped" and doc["nodes"]["after"]["attempts"] == 0
    table = proc.stdout[proc.stdout.index("NODE") :]
    assert "bad    failed" in table and "ValueError: boom" in table and "(upstream 'bad' failed)" in table
    again = cli("run", str(path), "--set", "v=2.5", "--results", str(out))
    assert json.loads(out.read_text())["nodes"]["n"]["status"] == "cached"
    assert again.returncode == 1


def test_usage_errors_exit_2_with_one_line_each(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", [{"id": "a", "type": N + "number"}], parameters={"v": 1})
    bad = write(tmp_path / "bad.json", [{"id": "a", "type": N + "nope"}, {"id": "b", "type": "math.add"}])
    proc = cli("run", str(bad))
    assert proc.returncode == 2
    assert (
        len(proc.stderr.strip().splitlines()) == 2
        and "node 'a'" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    for args, message in [
        (["--target", "zz"], "unknown target node 'zz'"),
        (["--set", "w=3"], "--set w: no such pipeline parameter (defined: v)"),
        (["--set", "novalue"], "expected NAME=VALUE"),
        (["--workers", "0"], "must be at least 1"),
    ]:
        proc = cli("run", str(good), *args)
        assert proc.returncode == 2, args
        assert message in proc.stderr and "Traceback" not in proc.stderr
    assert cli("run", str(tmp_path / "missing.json")).returncode == 2


def test_target_runs_only_what_it_needs(tmp_path: Path) -> None:
    nodes = [
        {"id": "a", "type": N + "number", "params": {"value": 2}},
        {"id": "b", "type": N + "double"},
        {"id": "c", "type": N + "boom"},
    ]
    path = write(tmp_path / "p.json", nodes, [("a.result", "b.x"), ("a.result", "c.x")])
    out = tmp_path / "r.json"
    proc = cli(
        "run", str(path), "--target", "b", "--results", str(out), "--backend", "processes", "--workers", "1"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    assert list(doc["nodes"]) == ["a", "b"] and doc["nodes"]["b"]["outputs"] == {"result": 4}


def test_editing_a_functions_source_invalidates_its_cache(tmp_path: Path) -> None:
    module = tmp_path / "edited_steps.py"
    module.write_text(
        "def f(x: float = 1.0) -> float:\n    return x + 1\n\n\ndef g(y: float) -> float:\n    return y * 10\n"
    )
    nodes = [
        {"id": "f", "type": "py:edited_steps:f"},
        {"id": "g", "type": "py:edited_steps:g"},
        {"id": "h", "type": N + "number"},
    ]
    path = write(tmp_path / "p.json", nodes, [("f.result", "g.y")])
    out = tmp_path / "r.json"
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    assert {k: v["status"] for k, v in json.loads(out.read_text())["nodes"].items()} == {
        "f": "cached",
        "g": "cached",
        "h": "cached",
    }
    module.write_text(module.read_text().replace("return x + 1", "return x + 2"))
    # a person's edit comes seconds later; within the same second (and same size) Python would reuse the
    # stale .pyc that the first run wrote, whatever the cache decides
    later = module.stat().st_mtime + 2
    os.utime(module, (later, later))
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    doc = json.loads(out.read_text())
    assert {k: v["status"] for k, v in doc["nodes"].items()} == {
        "f": "succeeded",
        "g": "succeeded",
        "h": "cached",
    }
    assert doc["nodes"]["g"]["outputs"] == {"result": 30.0}
    with RunStore() as store:
        reasons = {n.node_id: n.reason for n in store.node_runs(doc["run_id"])}
    assert reasons["f"] == "code of py:edited_steps:f changed"
    assert reasons["g"] == "input from 'f' changed"


def test_hanging_thread_does_not_keep_the_cli_alive(tmp_path: Path) -> None:
    nodes = [
        {"id": "hang", "type": N + "hang", "params": {"seconds": 60}, "timeout_s": 0.3},
        {"id": "ok", "type": N + "number"},
    ]
    path = write(tmp_path / "p.json", nodes)
    start = time.monotonic()
    proc = cli("run", str(path), timeout=30)
    assert time.monotonic() - start < 20  # generous; the hanging thread sleeps 60 s
    assert proc.returncode == 1
    assert "timed out after 0.3 s" in proc.stdout


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_ctrl_c_cancels_cleanly_with_exit_130(tmp_path: Path, backend: str) -> None:
    nodes = [
        {"id": "quick", "type": N + "number"},
        {"id": "coop", "type": N + "cooperative", "params": {"seconds": 30}},
        {"id": "later", "type": N + "double"},
    ]
    path = write(tmp_path / "p.json", nodes, [("quick.result", "coop.x"), ("coop.result", "later.x")])
    proc = cli_popen("run", str(path), "--backend", backend)
    wait_for_line(proc, "started   coop")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "cancelling" in stdout
    with RunStore() as store:
        run = store.list_runs(1)[0]
        assert run.status == "cancelled"
        assert {n.node_id: n.status for n in store.node_runs(run.run_id)} == {
            "quick": "succeeded",
            "coop": "cancelled",
            "later": "cancelled",
        }


def wait_until_recorded(ready, timeout: float = 30.0) -> None:
    """Poll the store (the recorder flushes on its own clock) until `ready(store, newest run)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        with RunStore() as store:
            runs = store.list_runs(1)
            if runs and ready(store, runs[0]):
                return
        if time.monotonic() > deadline:
            raise AssertionError("the run recorder never wrote what the test waits for")
        time.sleep(0.05)


def _killed_run_recorded(store: RunStore, run) -> bool:
    statuses = {n.node_id: n.status for n in store.node_runs(run.run_id)}
    logged = [entry.message for entry in store.logs(run.run_id, "first")]
    return statuses.get("stuck") == "running" and "hello from print" in logged


def test_history_after_a_killed_run(tmp_path: Path) -> None:
    nodes = [
        {"id": "first", "type": N + "chatty"},
        {"id": "stuck", "type": N + "hang", "params": {"seconds": 60}},
    ]
    path = write(tmp_path / "p.json", nodes, [("first.result", "stuck.x")], name="killed")
    proc = cli_popen("run", str(path))
    wait_for_line(proc, "started   stuck")
    wait_until_recorded(lambda store, run: _killed_run_recorded(store, run))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    with RunStore() as store:
        run = store.list_runs(1)[0]
        assert run.pipeline == "killed" and run.status == "crashed" and run.finished is None
        nodes_by_id = {n.node_id: n for n in store.node_runs(run.run_id)}
        assert nodes_by_id["first"].status == "succeeded" and nodes_by_id["stuck"].status == "running"
        assert "hello from print" in [entry.message for entry in store.logs(run.run_id, "first")]
    listing = cli("runs", "--last", "3")
    assert listing.returncode == 0 and "crashed" in listing.stdout and "killed" in listing.stdout


def test_runs_command_lists_and_shows(tmp_path: Path) -> None:
    assert "no runs yet" in cli("runs").stdout
    path = write(tmp_path / "p.json", [{"id": "talk", "type": N + "chatty"}], name="shown")
    assert cli("run", str(path)).returncode == 0
    listing = cli("runs")
    assert "shown" in listing.stdout and "1 succeeded" in listing.stdout
    run_id = listing.stdout.splitlines()[2].split()[0]
    shown = cli("runs", run_id)
    assert shown.returncode == 0 and "talk" in shown.stdout and "hello from print" in shown.stdout
    assert cli("runs", "nope").returncode == 2


def test_module_beside_the_pipeline_file_imports_in_process_workers(tmp_path: Path) -> None:
    (tmp_path / "beside_steps.py").write_text(
        textwrap.dedent("""
        import os
        def where(x: int = 0) -> int:
            return os.getpid()
    """)
    )
    path = write(tmp_path / "p.json", [{"id": "w", "type": "py:beside_steps:where"}])
    out = tmp_path / "r.json"
    proc = cli("run", str(path), "--backend", "processes", "--results", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert isinstance(json.loads(out.read_text())["nodes"]["w"]["outputs"]["result"], int)
