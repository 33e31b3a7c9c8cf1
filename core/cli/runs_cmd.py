"""`nodeloom runs [--last N] [RUN_ID]`: the run history, or one run's nodes and log.

A run whose process died before recording its end shows as `crashed`. Everything shown came from
pipelines and nodes, so it is made `safe` for the terminal. A damaged history is one line, exit 2.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from ..engine import RunStore
from ..engine.run_store import default_path, store_problem
from .output import EXIT_INVALID, EXIT_OK, error, print_table, safe
from .run_cmd import format_counts, format_duration, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="the run history")
    p.add_argument("run_id", nargs="?", help="show this run's nodes and log")
    p.add_argument(
        "--last", type=positive_int, default=20, metavar="N", help="how many runs to list (default 20)"
    )
    p.set_defaults(command=run)


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) if timestamp else "-"


def run(args: argparse.Namespace) -> int:
    path = default_path()
    try:
        with RunStore(path) as store:
            return _show(store, args.run_id) if args.run_id else _list(store, args.last)
    except sqlite3.Error as exc:  # damaged pages show only when read
        error(str(store_problem(path, exc)))
        return EXIT_INVALID


def _list(store: RunStore, last: int) -> int:
    runs = store.list_runs(last)
    if not runs:
        print("no runs yet")
        return EXIT_OK
    rows = [
        (
            r.run_id,
            r.pipeline,
            _when(r.started),
            format_duration(r.duration_s) if r.duration_s is not None else "-",
            r.status,
            format_counts(r.counts),
        )
        for r in runs
    ]
    print_table(("RUN", "PIPELINE", "STARTED", "DURATION", "STATUS", "NODES"), rows)
    return EXIT_OK


def _show(store: RunStore, run_id: str) -> int:
    record = store.get_run(run_id)
    if record is None:
        error(f"no run '{run_id}' (see `nodeloom runs`)")
        return EXIT_INVALID
    version = f", nodeloom {record.nodeloom_version}" if record.nodeloom_version else ""
    print(
        safe(
            f"run {record.run_id}: {record.pipeline} ({record.file or 'no file'}), {record.status}, "
            f"started {_when(record.started)}{version}"
        )
    )
    rows = [
        (
            n.node_id,
            n.status,
            str(n.attempts),
            format_duration(n.duration_s) if n.duration_s is not None else "-",
            n.worker or "",
            n.error or n.reason or "",
        )
        for n in store.node_runs(run_id)
    ]
    print_table(("NODE", "STATUS", "ATTEMPTS", "DURATION", "WORKER", "ERROR / REASON"), rows)
    logs = store.logs(run_id)
    if logs:
        print("\nlog:")
        for entry in logs:
            when = time.strftime("%H:%M:%S", time.localtime(entry.time))
            message = safe(entry.message, lines=True).replace("\n", "\n    ")
            print(f"  {when} {safe(entry.node_id)} {safe(entry.level)}: {message}")
    return EXIT_OK
