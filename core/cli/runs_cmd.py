"""`nodeloom runs [--last N] [RUN_ID]`: the run history, or one run's nodes and log.

A run whose process died before recording its end shows as `crashed`.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from ..engine import RunStore
from .output import EXIT_INVALID, EXIT_OK, error, table
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
    try:
        store = RunStore()
    except sqlite3.Error as exc:
        error(f"cannot open the run history: {exc}")
        return EXIT_INVALID
    with store:
        if args.run_id:
            return _show(store, args.run_id)
        runs = store.list_runs(args.last)
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
        print(table(("RUN", "PIPELINE", "STARTED", "DURATION", "STATUS", "NODES"), rows))
    return EXIT_OK


def _show(store: RunStore, run_id: str) -> int:
    record = store.get_run(run_id)
    if record is None:
        error(f"no run '{run_id}' (see `nodeloom runs`)")
        return EXIT_INVALID
    print(
        f"run {record.run_id}: {record.pipeline} ({record.file or 'no file'}), {record.status}, started {_when(record.started)}"
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
    print(table(("NODE", "STATUS", "ATTEMPTS", "DURATION", "WORKER", "ERROR / REASON"), rows))
    logs = store.logs(run_id)
    if logs:
        print("\nlog:")
        for entry in logs:
            print(
                f"  {time.strftime('%H:%M:%S', time.localtime(entry.time))} {entry.node_id} {entry.level}: {entry.message}"
            )
    return EXIT_OK
