"""`nodeloom run FILE`: validate, run with live progress, print a summary table, write `--results`.

Exit codes (the design): 0 every node succeeded or was cached/skipped-by-choice, 1 some node failed,
2 the file or the usage is invalid (one line per problem), 130 interrupted. The first Ctrl-C cancels
cleanly (running nodes see `ctx.cancelled`, the run is recorded as cancelled); a second one exits at
once. On a terminal the progress is a bar with the running nodes, redrawn in place, and node logs
scroll above it; otherwise every event worth reading is one plain line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any, TextIO

from ..atomic import atomic_write_text
from ..engine import RunOptions, RunResult, run_pipeline
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
from ..validation import check_file
from .output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, error, print_problems, table


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
        overrides[name.strip()] = value
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
    options = RunOptions(
        backend=backend,
        scheduler=args.scheduler,
        workers=args.workers,
        use_cache=not args.no_cache,
        targets=list(args.target),
        overrides=overrides,
        file=os.path.abspath(args.file),
    )
    cancel = threading.Event()
    display: Display = LiveDisplay(sys.stdout) if sys.stdout.isatty() else PlainDisplay(sys.stdout)

    notes: list[str] = []

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        # printed by on_event, never here: the handler may interrupt a write to the same stream
        # ("reentrant call inside <_io.BufferedWriter name='<stdout>'>")
        notes.append("cancelling: waiting for running nodes to stop (Ctrl-C again to quit now)")

    def on_event(event: Event) -> None:
        while notes:
            display.note(notes.pop(0))
        display.event(event)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = run_pipeline(loaded.pipeline, options, on_event=on_event, cancel=cancel)
    except PipelineError as exc:
        print_problems(exc.problems, args.file)
        return EXIT_INVALID
    finally:
        display.close()
        signal.signal(signal.SIGINT, previous)
    print(summary(result))
    if args.results:
        try:
            atomic_write_text(args.results, json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n")
        except OSError as exc:
            error(f"cannot write {args.results}: {exc.strerror or exc}")
            return EXIT_INVALID
    if result.status == "cancelled":
        return EXIT_INTERRUPTED
    return EXIT_FAILED if result.status == "failed" else EXIT_OK


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


def summary(result: RunResult) -> str:
    rows = []
    for node_id, r in result.nodes.items():
        detail = r.error or (
            f"({r.reason})" if r.status in (NodeStatus.SKIPPED, NodeStatus.CANCELLED) and r.reason else ""
        )
        took = format_duration(r.duration_s) if r.attempts or r.status is NodeStatus.CACHED else "-"
        rows.append((node_id, str(r.status), str(r.attempts), took, _clip(detail, 100)))
    head = table(("NODE", "STATUS", "ATTEMPTS", "DURATION", "ERROR"), rows)
    return f"{head}\n\nrun {result.run_id} {result.status} in {format_duration(result.duration_s)}: {format_counts(result.counts)}"


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
        self.out.write(text + "\n")
        self.out.flush()

    def close(self) -> None:
        pass

    def describe(self, event: Event) -> str | None:
        """The plain line for an event, or None for events not worth a line."""
        if isinstance(event, RunStarted):
            self.total = len(event.nodes)
            return (
                f"run {event.run_id}: {event.pipeline}, {self.total} nodes on {event.workers} {event.backend}"
            )
        if isinstance(event, NodeStarted):
            again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            return f"  started   {event.node_id}{again} on {event.worker}"
        if isinstance(event, NodeFinished):
            self.finished += 1
            text = f"  {event.status!s:<9} {event.node_id}"
            if event.status in (NodeStatus.SUCCEEDED, NodeStatus.FAILED):
                text += f" in {format_duration(event.duration_s)}"
            if event.error:
                text += f": {event.error}"
            elif event.reason and event.status is not NodeStatus.SUCCEEDED:
                text += f" ({event.reason})"
            return text
        if isinstance(event, NodeLog):
            if "\n" in event.message:
                event = NodeLog(
                    event.run_id,
                    event.time,
                    event.node_id,
                    event.level,
                    event.message.replace("\n", "\n    "),
                )
            return (
                f"  {event.node_id} | {event.message}"
                if event.level in ("info", "debug")
                else f"  {event.node_id} | {event.level}: {event.message}"
            )
        return None


class PlainDisplay(Display):
    def event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            return
        text = self.describe(event)
        if text is not None:
            self.line(text)


class LiveDisplay(Display):
    """A one-line bar with the running nodes at the bottom of the terminal; other lines scroll above it."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.running: dict[str, tuple[float, float | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="nodeloom-progress", daemon=True)
        self._ticker.start()

    def event(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, NodeStarted):
                self.running[event.node_id] = (time.monotonic(), None)
                return self._draw()
            if isinstance(event, NodeProgress):
                if event.node_id in self.running:
                    self.running[event.node_id] = (self.running[event.node_id][0], event.fraction)
                return None
            if isinstance(event, NodeFinished):
                self.running.pop(event.node_id, None)
            if isinstance(event, RunFinished):
                return self._clear()
            text = self.describe(event)
            if text is not None:
                self._clear()
                self.out.write(text + "\n")
            self._draw()
        return None

    def line(self, text: str) -> None:
        with self._lock:
            self._clear()
            self.out.write(text + "\n")
            self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            with self._lock:
                self._draw()

    def _clear(self) -> None:
        self.out.write("\r\x1b[K")

    def _draw(self) -> None:
        if self._stop.is_set() or not self.total:
            return
        width = shutil.get_terminal_size((100, 20)).columns
        bar_width = 24
        filled = int(bar_width * self.finished / self.total)
        now = time.monotonic()
        names = []
        for node_id, (since, fraction) in self.running.items():
            names.append(
                f"{node_id} {fraction:.0%}" if fraction is not None else f"{node_id} {now - since:.0f}s"
            )
        text = f"[{'#' * filled}{'.' * (bar_width - filled)}] {self.finished}/{self.total} {now - self.started:5.1f}s"
        if names:
            text += "  running: " + ", ".join(names)
        self.out.write("\r\x1b[K" + _clip(text, max(10, width - 1)))
        self.out.flush()

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            self._clear()
            self.out.flush()
