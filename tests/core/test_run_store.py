"""The run history: what is recorded, concurrent writers, crashed runs."""

from __future__ import annotations

import subprocess
import sys

from engine_helpers import cli_popen, pipeline, write
from nodeloom.core.engine import RunOptions, RunStore, run_pipeline

N = "py:engine_nodes:"


def test_a_run_is_recorded_with_nodes_logs_and_metrics() -> None:
    nodes = [{"id": "talk", "type": N + "chatty"}, {"id": "bad", "type": N + "boom"}]
    result = run_pipeline(pipeline(nodes, name="recorded"), RunOptions(backend="threads", workers=2))
    with RunStore() as store:
        run = store.get_run(result.run_id)
        assert run is not None
        assert (run.pipeline, run.status, run.backend, run.counts) == (
            "recorded",
            "failed",
            "threads",
            {"succeeded": 1, "failed": 1},
        )
        assert run.duration_s is not None and run.finished is not None
        by_id = {n.node_id: n for n in store.node_runs(result.run_id)}
        assert by_id["bad"].error == "ValueError: boom" and by_id["bad"].attempts == 1
        assert by_id["talk"].worker in ("thread-1", "thread-2")
        assert [(m.name, m.step, m.value) for m in store.metrics(result.run_id, "talk")] == [
            ("loss", 1.0, 0.5),
            ("loss", 2.0, 0.25),
        ]
        messages = [entry.message for entry in store.logs(result.run_id, "talk")]
        assert messages[:2] == ["hello from print", "two parts joined"]
        assert store.list_runs()[0].run_id == result.run_id


def test_record_false_writes_nothing() -> None:
    run_pipeline(pipeline([{"id": "a", "type": N + "number"}]), RunOptions(record=False))
    with RunStore() as store:
        assert store.list_runs() == []


def test_concurrent_cli_runs_do_not_corrupt_the_store(tmp_path) -> None:
    nodes = [{"id": f"n{i}", "type": N + "chatty"} for i in range(30)]
    paths = [write(tmp_path / f"p{k}.json", nodes, name=f"concurrent-{k}") for k in range(4)]
    procs = [cli_popen("run", str(p), "--no-cache") for p in paths]
    for proc in procs:
        proc.communicate(timeout=60)
        assert proc.returncode == 0
    with RunStore() as store:
        runs = store.list_runs(None)
        assert sorted(r.pipeline for r in runs) == [f"concurrent-{k}" for k in range(4)]
        for run in runs:
            assert run.status == "succeeded" and run.counts == {"succeeded": 30}
            assert len(store.logs(run.run_id)) == 30 * 5
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sqlite3; print(sqlite3.connect({str(store.path)!r}).execute('PRAGMA integrity_check').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip() == "ok"
