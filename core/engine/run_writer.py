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
import json
import logging
import os
import socket
import sqlite3
import threading
from pathlib import Path

import psutil

from ..events import Event, NodeFinished, NodeLog, NodeMetric, NodeStarted, RunFinished, RunStarted, RunStatus
from .run_store import connect, default_path

FLUSH_INTERVAL_S = 0.2
log = logging.getLogger("nodeloom.engine")


@functools.cache
def _process_started() -> float | None:
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
        pid_started = _process_started()
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO runs (run_id, pipeline, file, started, status, backend, workers, parameters, "
                    "pid, pid_started, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    ),
                )
            ]
        )
        self._thread.start()

    def add(self, event: Event) -> None:
        self._pending.append(event)

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
            self._flush()
        self._flush()
        self._flushed.set()
        self._conn.close()  # may checkpoint the WAL (an fsync): nobody waits for it

    def _flush(self) -> None:
        statements: list[tuple[str, tuple[object, ...]]] = []
        pending = self._pending
        while pending:
            statement = self._statement(pending.popleft())
            if statement is not None:
                statements.append(statement)
        if statements:
            self._write(statements)

    def _statement(self, ev: Event) -> tuple[str, tuple[object, ...]] | None:
        if isinstance(ev, NodeLog):
            return "INSERT INTO logs VALUES (?, ?, ?, ?, ?)", (
                ev.run_id,
                ev.node_id,
                ev.time,
                ev.level,
                ev.message,
            )
        if isinstance(ev, NodeMetric):
            return "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", (
                ev.run_id,
                ev.node_id,
                ev.name,
                ev.step,
                ev.value,
                ev.time,
            )
        if isinstance(ev, NodeStarted):
            self._seq += 1
            return (
                "INSERT INTO node_runs (run_id, node_id, status, attempts, started, worker, seq) VALUES (?, ?, 'running', ?, ?, ?, ?) "
                "ON CONFLICT (run_id, node_id) DO UPDATE SET status = 'running', attempts = excluded.attempts, worker = excluded.worker",
                (ev.run_id, ev.node_id, ev.attempt, ev.time, ev.worker, self._seq),
            )
        if isinstance(ev, NodeFinished):
            self._seq += 1
            started = ev.time - ev.duration_s
            return (
                "INSERT INTO node_runs (run_id, node_id, status, attempts, started, finished, duration_s, error, reason, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, "
                "attempts = excluded.attempts, finished = excluded.finished, duration_s = excluded.duration_s, "
                "error = excluded.error, reason = excluded.reason",
                (
                    ev.run_id,
                    ev.node_id,
                    str(ev.status),
                    ev.attempts,
                    started,
                    ev.time,
                    ev.duration_s,
                    ev.error,
                    ev.reason,
                    self._seq,
                ),
            )
        if isinstance(ev, RunFinished):
            return (
                "UPDATE runs SET status = ?, finished = ?, duration_s = ?, counts = ? WHERE run_id = ?",
                (str(ev.status), ev.time, ev.duration_s, json.dumps(ev.counts), ev.run_id),
            )
        return None

    def _write(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        try:
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                for sql, args in statements:
                    self._conn.execute(sql, args)
        except sqlite3.Error as exc:
            if not self._warned:
                self._warned = True
                log.warning("run history not recorded: %s", exc)
