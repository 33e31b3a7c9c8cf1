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
from ..home import nodeloom_home, private_file, private_folder, tighten

# Each entry migrates the store from the version before it (PRAGMA user_version) and is never edited once
# released: a store written by an older Nodeloom is brought up to date when opened. Version 1 is the
# layout before versions existed (its statements all say IF NOT EXISTS, so an unversioned store passes
# through it unchanged).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: runs, node runs, logs, metrics
        "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, file TEXT, "
        "started REAL NOT NULL, finished REAL, duration_s REAL, status TEXT NOT NULL, backend TEXT, "
        "workers INTEGER, parameters TEXT, counts TEXT, pid INTEGER, pid_started REAL, host TEXT)",
        "CREATE INDEX IF NOT EXISTS runs_started ON runs (started)",
        "CREATE TABLE IF NOT EXISTS node_runs (run_id TEXT NOT NULL, node_id TEXT NOT NULL, "
        "status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL, "
        "duration_s REAL, error TEXT, worker TEXT, reason TEXT, seq INTEGER, PRIMARY KEY (run_id, node_id))",
        "CREATE TABLE IF NOT EXISTS logs (run_id TEXT NOT NULL, node_id TEXT NOT NULL, time REAL NOT NULL, "
        "level TEXT NOT NULL, message TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS logs_run ON logs (run_id, node_id)",
        "CREATE TABLE IF NOT EXISTS metrics (run_id TEXT NOT NULL, node_id TEXT NOT NULL, name TEXT NOT NULL, "
        "step REAL NOT NULL, value REAL NOT NULL, time REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS metrics_run ON metrics (run_id, node_id)",
    ),
    (  # 2: which Nodeloom recorded a run (shown by `nodeloom runs RUN_ID`; explains odd old records)
        "ALTER TABLE runs ADD COLUMN nodeloom_version TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
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
    nodeloom_version: str | None = None


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


class RunStoreError(sqlite3.DatabaseError):
    """The run history cannot be used; the message says what is wrong, where, and what to do.

    A `sqlite3.DatabaseError`, so callers that carry on without history (the engine) catch it as before.
    """


def store_problem(path: Path, exc: sqlite3.Error) -> RunStoreError:
    """A one-line explanation of a SQLite error on the run history at `path`."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, RunStoreError):
        return exc
    if isinstance(exc, sqlite3.OperationalError) and "locked" not in text and "busy" not in text:
        return RunStoreError(
            f"cannot use the run history {path}: {text} (check the folder's permissions and free disk space)"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return RunStoreError(
            f"the run history {path} is damaged ({text}): move it aside (mv '{path}' '{path}.broken') and "
            "Nodeloom starts a new one; its cache is not affected"
        )
    return RunStoreError(f"the run history {path} is busy ({text}): try again")


def connect(path: Path) -> sqlite3.Connection:
    """A connection with WAL, a busy timeout and the schema migrated to `SCHEMA_VERSION`.

    Raises RunStoreError (one line: what, where, what to do) for a damaged, unreadable or newer store.
    The database is created 0600 before SQLite opens it (its -wal and -shm files take its mode).
    Switching a new database to WAL does not wait on the busy timeout, so several processes creating
    the store at the same moment retry for a while instead of failing.
    """
    private_folder(path.parent)
    private_file(path)
    for companion in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + companion))
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise store_problem(path, exc) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn, path)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise store_problem(path, exc) from None
            time.sleep(0.05)
        except sqlite3.Error as exc:
            conn.close()
            raise store_problem(path, exc) from None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise RunStoreError(
            f"the run history {path} was written by a newer Nodeloom (schema {version}; this one knows "
            f"{SCHEMA_VERSION}): upgrade Nodeloom, or set NODELOOM_HOME to another folder"
        )
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


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
            nodeloom_version,
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
            nodeloom_version,
        )

    _COLUMNS = "run_id, pipeline, file, started, finished, duration_s, status, backend, workers, parameters, counts, pid, pid_started, host, nodeloom_version"

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
