"""Run history in SQLite at `nodeloom_home()/runs.sqlite`: runs, node runs, log lines and metric points.

The database is in WAL mode with a busy timeout, so several CLI runs and the editor can write and read
at once without corrupting it or blocking each other for long. Writing is `RunRecorder`'s job
(`run_writer.py`): the run's row is written when the run starts and everything else in small batched
transactions as it happens, so a killed run leaves what it did. A run still marked `running` whose
process is gone (checked by pid and process start time on this host) reads as `crashed`.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from ..events import RunStatus
from ..home import nodeloom_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, file TEXT, started REAL NOT NULL, finished REAL,
    duration_s REAL, status TEXT NOT NULL, backend TEXT, workers INTEGER, parameters TEXT,
    counts TEXT, pid INTEGER, pid_started REAL, host TEXT);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started);
CREATE TABLE IF NOT EXISTS node_runs (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    started REAL, finished REAL, duration_s REAL, error TEXT, worker TEXT, reason TEXT, seq INTEGER,
    PRIMARY KEY (run_id, node_id));
CREATE TABLE IF NOT EXISTS logs (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, time REAL NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_run ON logs (run_id, node_id);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, name TEXT NOT NULL, step REAL NOT NULL, value REAL NOT NULL,
    time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics (run_id, node_id);
"""
BUSY_TIMEOUT_S = 30.0


@dataclass
class RunRecord:
    run_id: str
    pipeline: str
    file: str | None
    started: float
    finished: float | None
    duration_s: float | None
    status: str
    backend: str | None
    counts: dict[str, int] = field(default_factory=dict)
    workers: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeRunRecord:
    node_id: str
    status: str
    attempts: int
    started: float | None
    finished: float | None
    duration_s: float | None
    error: str | None
    worker: str | None
    reason: str | None = None


@dataclass
class LogRecord:
    node_id: str
    time: float
    level: str
    message: str


@dataclass
class MetricRecord:
    node_id: str
    name: str
    step: float
    value: float
    time: float


def default_path() -> Path:
    return nodeloom_home() / "runs.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """A connection with WAL, a busy timeout and the schema in place.

    Switching a new database to WAL does not wait on the busy timeout, so several processes creating
    the store at the same moment retry for a while instead of failing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SCHEMA)
            return conn
        except sqlite3.OperationalError:
            conn.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def process_alive(pid: int | None, pid_started: float | None, host: str | None) -> bool:
    """Whether the process that wrote a run still runs (unknown hosts count as alive)."""
    if host is not None and host != socket.gethostname():
        return True
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        return pid_started is None or abs(proc.create_time() - pid_started) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


class RunStore:
    """Read the run history (and, through RunRecorder, write it)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._conn = connect(self.path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _record(self, row: sqlite3.Row | tuple[Any, ...]) -> RunRecord:
        (
            run_id,
            pipeline,
            file,
            started,
            finished,
            duration_s,
            status,
            backend,
            workers,
            parameters,
            counts,
            pid,
            pid_started,
            host,
        ) = row
        if status == RunStatus.RUNNING and not process_alive(pid, pid_started, host):
            status = str(RunStatus.CRASHED)
        if counts is None:
            counts_dict = {
                s: n
                for s, n in self._conn.execute(
                    "SELECT status, COUNT(*) FROM node_runs WHERE run_id = ? GROUP BY status", (run_id,)
                )
            }
        else:
            counts_dict = json.loads(counts)
        return RunRecord(
            run_id,
            pipeline,
            file,
            started,
            finished,
            duration_s,
            status,
            backend,
            counts_dict,
            workers,
            json.loads(parameters) if parameters else {},
        )

    _COLUMNS = "run_id, pipeline, file, started, finished, duration_s, status, backend, workers, parameters, counts, pid, pid_started, host"

    def list_runs(self, limit: int | None = 20) -> list[RunRecord]:
        """Newest first."""
        sql = f"SELECT {self._COLUMNS} FROM runs ORDER BY started DESC, rowid DESC"
        rows = self._conn.execute(
            sql + (" LIMIT ?" if limit is not None else ""), (limit,) if limit is not None else ()
        ).fetchall()
        return [self._record(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self._conn.execute(f"SELECT {self._COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return self._record(row) if row else None

    def node_runs(self, run_id: str) -> list[NodeRunRecord]:
        """In the order the nodes started (or finished, for cached and skipped ones)."""
        rows = self._conn.execute(
            "SELECT node_id, status, attempts, started, finished, duration_s, error, worker, reason FROM node_runs "
            "WHERE run_id = ? ORDER BY seq, rowid",
            (run_id,),
        ).fetchall()
        return [NodeRunRecord(*r) for r in rows]

    def logs(self, run_id: str, node_id: str | None = None) -> list[LogRecord]:
        sql = "SELECT node_id, time, level, message FROM logs WHERE run_id = ?"
        args: tuple[Any, ...] = (run_id,)
        if node_id is not None:
            sql, args = sql + " AND node_id = ?", (run_id, node_id)
        return [LogRecord(*r) for r in self._conn.execute(sql + " ORDER BY rowid", args)]

    def metrics(self, run_id: str, node_id: str | None = None) -> list[MetricRecord]:
        sql = "SELECT node_id, name, step, value, time FROM metrics WHERE run_id = ?"
        args: tuple[Any, ...] = (run_id,)
        if node_id is not None:
            sql, args = sql + " AND node_id = ?", (run_id, node_id)
        return [MetricRecord(*r) for r in self._conn.execute(sql + " ORDER BY rowid", args)]
