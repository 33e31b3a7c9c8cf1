"""`nodeloom run FILE`: validate, run with live progress, print a summary table, write `--results`.

Exit codes (the design): 0 every node succeeded or was cached/skipped-by-choice, 1 some node failed,
2 the file, the usage or the run history is invalid (one line per problem), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). Both signals cancel cleanly (see `StopSignals`). On a terminal `rich` draws a
progress bar with the running nodes and node logs scroll above it; otherwise (a pipe, a file, CI) every
event worth reading is one plain line. Text from the pipeline is made `safe` for the terminal either way.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from types import FrameType
from typing import Any, TextIO

from ..atomic import atomic_write_text
from ..engine import RunOptions, RunResult, RunStore, run_pipeline
from ..engine.cache_space import CacheLimitError, cache_limit
from ..engine.cancel import RunCancel
from ..errors import PipelineError
from ..events import (
    Event,
    NodeFinished,
    NodeLog,
    NodeProgress,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
)
from ..figure_files import save_result_figures
from ..validation import check_file
from .output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    error,
    print_problems,
    print_table,
    safe,
    table,
)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pipeline")
    p.add_argument("file", help="pipeline JSON file")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (VALUE as JSON, else text)",
    )
    p.add_argument(
        "--backend",
        choices=["threads", "processes", "dask"],
        default=None,
        help="where nodes run: threads (default; I/O-bound branches overlap), processes (isolation and "
        "true CPU parallelism), dask (a Dask cluster: a local one started for the run, or --scheduler; "
        "needs pip install 'nodeloom[dask]')",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the running Dask cluster at this scheduler address (e.g. tcp://host:8786); "
        "implies --backend dask",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="parallel workers (default: threads cores+4, processes cores, dask 2 local worker processes; "
        "a --scheduler cluster has its own)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither use nor store cached results")
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NODE",
        help="run only this node and what it needs (repeatable)",
    )
    p.add_argument("--results", metavar="OUT.json", help="write the run's results as JSON")
    p.set_defaults(command=run)


def parse_sets(items: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        overrides[name.strip(" ")] = value  # spaces only: "a\n" must not become "a"
    return overrides


def run(args: argparse.Namespace) -> int:
    try:
        overrides = parse_sets(args.set)
    except ValueError as exc:
        error(str(exc))
        return EXIT_INVALID
    loaded = check_file(args.file, trust=True)  # `run` implies trust: it runs the code anyway
    if loaded.problems or loaded.pipeline is None:
        print_problems(loaded.problems, args.file)
        return EXIT_INVALID
    backend = args.backend or ("dask" if args.scheduler else "threads")
    if args.scheduler and backend != "dask":
        error(f"--scheduler needs --backend dask, not {backend}")
        return EXIT_INVALID
    problem = _storage_problem(use_cache=not args.no_cache)
    if problem:
        error(problem)
        return EXIT_INVALID
    options = RunOptions(
        backend=backend,
        scheduler=args.scheduler,
        workers=args.workers,
        use_cache=not args.no_cache,
        targets=list(args.target),
        overrides=overrides,
        file=os.path.abspath(args.file),
    )
    if backend == "dask":
        from ..engine.dask_backend import quiet_dask_logs_for_good

        quiet_dask_logs_for_good()
    cancel = RunCancel()
    display: Display = LiveDisplay(sys.stdout) if sys.stdout.isatty() else PlainDisplay(sys.stdout)
    signals = StopSignals(cancel)

    def on_event(event: Event) -> None:
        while signals.notes:
            display.note(signals.notes.pop(0))
        display.event(event)

    try:
        with signals:
            result = run_pipeline(loaded.pipeline, options, on_event=on_event, cancel=cancel)
    except PipelineError as exc:
        display.close()
        print_problems(exc.problems, args.file)
        return EXIT_INVALID
    finally:
        display.close()
    print_summary(result)
    if args.results:
        try:
            document = result.to_json()
            save_result_figures(result, args.results, document)  # figures: PNG files beside the results
            atomic_write_text(args.results, json.dumps(document, indent=2, allow_nan=False) + "\n")
        except OSError as exc:
            error(f"cannot write {args.results}: {exc.strerror or exc}")
            return EXIT_INVALID
    if result.status == "cancelled":
        return signals.exit_code
    return EXIT_FAILED if result.status == "failed" else EXIT_OK


def _storage_problem(use_cache: bool) -> str | None:
    """What stops a run from being recorded or cached, in one line (None: all is well).

    Checked before anything runs, so a damaged history never gets a half-written (phantom) record and
    a bad cache limit is named by its setting rather than found after the run.
    """
    try:
        RunStore().close()
    except sqlite3.Error as exc:
        return str(exc)
    if use_cache:
        try:
            cache_limit()
        except CacheLimitError as exc:
            return str(exc)
    return None


class StopSignals:
    """Ctrl-C, SIGTERM and SIGHUP while a run is going on: stop it cleanly, the way a user expects.

    The first signal cancels: running nodes see `ctx.cancelled`, nothing new starts, the run is
    recorded `cancelled`, the summary and `--results` are written, and the exit code is 130 (Ctrl-C),
    143 (SIGTERM, what `kill`, systemd and CI runners send) or 129 (SIGHUP: the terminal closed). The
    second stops waiting for running nodes (they are abandoned or killed; the record still ends
    `cancelled`). Only a third one quits at once. The handlers never print: they may interrupt a write to the same stream, so notes wait for
    the next event.
    """

    def __init__(self, cancel: RunCancel) -> None:
        self.cancel = cancel
        self.count = 0
        self.exit_code = EXIT_INTERRUPTED
        self.notes: list[str] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count == 1:
            self.exit_code = 128 + signum  # 130 SIGINT, 143 SIGTERM, 129 SIGHUP (the terminal closed)
            self.cancel.request()
            self.notes.append("cancelling: waiting for running nodes to stop (Ctrl-C again to stop now)")
        elif self.count == 2:
            self.cancel.request(hurry=True)
            self.notes.append("stopping now: running nodes are abandoned (Ctrl-C again to quit at once)")
        else:
            raise KeyboardInterrupt


SUMMARY_HEADERS = ("NODE", "STATUS", "ATTEMPTS", "DURATION", "ERROR")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def format_counts(counts: dict[str, int]) -> str:
    order = [str(s) for s in NodeStatus]
    return ", ".join(
        f"{counts[s]} {s}" for s in sorted(counts, key=lambda s: order.index(s) if s in order else 99)
    )


def summary_rows(result: RunResult) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for node_id, r in result.nodes.items():
        detail = r.error or (
            f"({r.reason})" if r.status in (NodeStatus.SKIPPED, NodeStatus.CANCELLED) and r.reason else ""
        )
        took = format_duration(r.duration_s) if r.attempts or r.status is NodeStatus.CACHED else "-"
        rows.append((node_id, str(r.status), str(r.attempts), took, _clip(detail, 100)))
    return rows


def summary_line(result: RunResult) -> str:
    return f"run {result.run_id} {result.status} in {format_duration(result.duration_s)}: {format_counts(result.counts)}"


def summary(result: RunResult) -> str:
    """The summary as plain text (a table of the nodes, then one line)."""
    return f"{table(SUMMARY_HEADERS, summary_rows(result))}\n\n{safe(summary_line(result))}"


def print_summary(result: RunResult) -> None:
    print_table(SUMMARY_HEADERS, summary_rows(result))
    print(f"\n{safe(summary_line(result))}")


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class Display:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.total = 0
        self.finished = 0
        self.started = time.monotonic()

    def event(self, event: Event) -> None:
        raise NotImplementedError

    def note(self, text: str) -> None:
        self.line(f"nodeloom: {text}")

    def line(self, text: str) -> None:
        self.out.write(safe(text, lines=True) + "\n")
        self.out.flush()

    def close(self) -> None:
        pass

    def describe(self, event: Event) -> str | None:
        """The plain line for an event, or None for events not worth a line (made safe by `line`)."""
        if isinstance(event, RunStarted):
            self.total = len(event.nodes)
            return f"run {event.run_id}: {safe(event.pipeline)}, {self.total} nodes on {event.workers} {event.backend}"
        if isinstance(event, NodeStarted):
            again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            return f"  started   {safe(event.node_id)}{again} on {safe(event.worker)}"
        if isinstance(event, NodeFinished):
            self.finished += 1
            text = f"  {event.status!s:<9} {safe(event.node_id)}"
            if event.status in (NodeStatus.SUCCEEDED, NodeStatus.FAILED):
                text += f" in {format_duration(event.duration_s)}"
            if event.error:
                text += f": {safe(event.error)}"
            elif event.reason and event.status is not NodeStatus.SUCCEEDED:
                text += f" ({safe(event.reason)})"
            return text
        if isinstance(event, NodeLog):
            message = safe(event.message, lines=True).replace("\n", "\n    ")
            return (
                f"  {safe(event.node_id)} | {message}"
                if event.level in ("info", "debug")
                else f"  {safe(event.node_id)} | {safe(event.level)}: {message}"
            )
        return None


class PlainDisplay(Display):
    """One plain line per event worth reading: for pipes, files and CI logs."""

    def event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            return
        text = self.describe(event)
        if text is not None:
            self.line(text)


class LiveDisplay(Display):
    """On a terminal: `rich` draws a progress bar with the running nodes at the bottom; lines scroll above.

    Everything shown is made `safe` and handed to rich as `Text` (never parsed as markup), so neither an
    escape sequence nor a "[bold]" in a node's name or log changes the terminal.
    """

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.running: dict[str, tuple[float, float | None]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.console = Console(file=out, highlight=False)
        self.progress = Progress(
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[running]}", markup=False),
            console=self.console,
            transient=True,
            refresh_per_second=4,
        )
        self.task = self.progress.add_task("run", total=None, running="")
        self.progress.start()

    def _running_text(self) -> str:
        now = time.monotonic()
        with self._lock:
            items = list(self.running.items())
        names = [
            f"{safe(nid)} {fraction:.0%}" if fraction is not None else f"{safe(nid)} {now - since:.0f}s"
            for nid, (since, fraction) in items
        ]
        text = ("running: " + ", ".join(names)) if names else ""
        width = max(10, self.console.width - 50)
        return _clip(text, width)

    def event(self, event: Event) -> None:
        if isinstance(event, NodeStarted):
            with self._lock:
                self.running[event.node_id] = (time.monotonic(), None)
        elif isinstance(event, NodeProgress):
            with self._lock:
                if event.node_id in self.running:
                    self.running[event.node_id] = (self.running[event.node_id][0], event.fraction)
            return
        elif isinstance(event, NodeFinished):
            with self._lock:
                self.running.pop(event.node_id, None)
        elif isinstance(event, RunFinished):
            return
        text = self.describe(event)
        total = self.total if isinstance(event, RunStarted) else None
        self.progress.update(self.task, total=total, completed=self.finished, running=self._running_text())
        self.progress.refresh()  # a line printed next redraws the bar as last refreshed: make it current
        if text is not None:
            self.line(text)

    def line(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(safe(text, lines=True)), soft_wrap=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.progress.stop()
