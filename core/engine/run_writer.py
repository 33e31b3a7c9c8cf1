"""Record a run's events in the run store, off the scheduler's path.

The scheduler hands every event to `RunRecorder.add`, which only appends to a deque. A writer thread
turns what accumulated into SQL every `FLUSH_INTERVAL_S`, one short transaction per batch, so a
2,000-node run costs a handful of commits and a killed run loses at most the last fraction of a second.
The run's own row is written synchronously at the start (it is what a crashed run is known by) and the
end is flushed before `close` returns. A storage error never fails the run: it is logged once.
"""

from __future__ import annotations

import collections
import functools
import importlib.metadata
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import psutil

from ..events import Event, NodeFinished, NodeLog, NodeMetric, NodeStarted, RunFinished, RunStarted, RunStatus
from .run_store import connect, default_path

FLUSH_INTERVAL_S = 0.2
BATCH_EVENTS = 1000  # or as soon as this many events are waiting
# One row per node and run, holding its latest state. A later batch updates the state; `started`, `seq`
# (the order the nodes first appeared) and, when the batch does not name one, `worker` stay as they were.
_UPSERT_NODE = (
    "INSERT INTO node_runs (run_id, node_id, status, attempts, started, finished, duration_s, error, worker, "
    "reason, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, node_id) DO UPDATE SET "
    "status = excluded.status, attempts = excluded.attempts, finished = excluded.finished, "
    "duration_s = excluded.duration_s, error = excluded.error, reason = excluded.reason, "
    "worker = COALESCE(excluded.worker, node_runs.worker)"
)
log = logging.getLogger("nodeloom.engine")


@functools.cache
def nodeloom_version() -> str | None:
    try:
        return importlib.metadata.version("nodeloom")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def process_started() -> float | None:
    try:
        return psutil.Process(os.getpid()).create_time()
    except psutil.Error:
        return None


class RunRecorder:
    def __init__(self, path: Path | None = None) -> None:
        self._conn = connect(Path(path) if path is not None else default_path())
        self._pending: collections.deque[Event] = collections.deque()
        self._wake = threading.Event()
        self._flushed = threading.Event()
        self._stopping = False
        self._seq = 0
        self._warned = False
        self._thread = threading.Thread(target=self._loop, name="nodeloom-run-recorder", daemon=True)

    def start(self, event: RunStarted) -> None:
        pid_started = process_started()
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO runs (run_id, pipeline, file, started, status, backend, workers, parameters, "
                    "pid, pid_started, host, nodeloom_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            event.run_id,
                            event.pipeline,
                            event.file,
                            event.time,
                            str(RunStatus.RUNNING),
                            event.backend,
                            event.workers,
                            json.dumps(event.parameters, default=repr),
                            os.getpid(),
                            pid_started,
                            socket.gethostname(),
                            nodeloom_version(),
                        )
                    ],
                )
            ]
        )
        self._thread.start()

    def add(self, event: Event) -> None:
        pending = self._pending
        pending.append(event)
        if len(pending) == BATCH_EVENTS:
            self._wake.set()  # a busy run: write this batch now, while the run goes on

    def close(self) -> None:
        """Flush everything (committed when this returns); the writer closes the connection after."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._flushed.wait()
        else:
            self._flush()
            self._conn.close()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            self._flush()
        self._flush()
        self._flushed.set()
        self._conn.close()  # may checkpoint the WAL (an fsync): nobody waits for it

    def _flush(self) -> None:
        """Write what accumulated: one row per node (its latest state), logs and metrics, in one transaction.

        A node's NodeStarted/NodeFinished events of one batch collapse into one upsert, and each table
        gets one `executemany`, so a batch costs a few statements rather than one per event.
        """
        pending = self._pending
        if not pending:
            return
        nodes: dict[tuple[str, str], list[object]] = {}
        logs: list[tuple[object, ...]] = []
        metrics: list[tuple[object, ...]] = []
        finished: RunFinished | None = None
        while pending:
            ev = pending.popleft()
            if isinstance(ev, NodeLog):
                logs.append((ev.run_id, ev.node_id, ev.time, ev.level, ev.message))
            elif isinstance(ev, NodeMetric):
                metrics.append((ev.run_id, ev.node_id, ev.name, ev.step, ev.value, ev.time))
            elif isinstance(ev, NodeStarted):
                self._seq += 1
                row = nodes.get((ev.run_id, ev.node_id))
                if row is None:
                    # run_id, node_id, status, attempts, started, finished, duration_s, error, worker, reason, seq
                    nodes[(ev.run_id, ev.node_id)] = [
                        ev.run_id, ev.node_id, "running", ev.attempt, ev.time, None, None, None, ev.worker, None,
                        self._seq,
                    ]  # fmt: skip
                else:
                    row[2], row[3], row[8] = "running", ev.attempt, ev.worker
            elif isinstance(ev, NodeFinished):
                self._seq += 1
                row = nodes.get((ev.run_id, ev.node_id))
                if row is None:
                    row = nodes[(ev.run_id, ev.node_id)] = [
                        ev.run_id, ev.node_id, "", 0, ev.time - ev.duration_s, None, None, None, None, None,
                        self._seq,
                    ]  # fmt: skip
                row[2], row[3], row[5], row[6], row[7], row[9] = (
                    str(ev.status), ev.attempts, ev.time, ev.duration_s, ev.error, ev.reason,
                )  # fmt: skip
            elif isinstance(ev, RunFinished):
                finished = ev
        statements: list[tuple[str, Sequence[Sequence[object]]]] = []
        if nodes:
            statements.append((_UPSERT_NODE, list(nodes.values())))
        if logs:
            statements.append(
                ("INSERT INTO logs (run_id, node_id, time, level, message) VALUES (?, ?, ?, ?, ?)", logs)
            )
        if metrics:
            statements.append(
                (
                    "INSERT INTO metrics (run_id, node_id, name, step, value, time) VALUES (?, ?, ?, ?, ?, ?)",
                    metrics,
                )
            )
        if finished is not None:
            statements.append(
                (
                    "UPDATE runs SET status = ?, finished = ?, duration_s = ?, counts = ? WHERE run_id = ?",
                    [
                        (
                            str(finished.status),
                            finished.time,
                            finished.duration_s,
                            json.dumps(finished.counts),
                            finished.run_id,
                        )
                    ],
                )
            )
        if statements:
            self._write(statements)

    def _write(self, statements: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> None:
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                for sql, rows in statements:
                    self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            if not self._warned:
                self._warned = True
                log.warning("run history not recorded: %s", exc)
