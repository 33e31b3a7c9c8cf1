"""Plain `print` and `logging` inside a node become that node's log lines.

Threads backend: while a run is active, `sys.stdout`/`sys.stderr` are wrapped by routers that send a
write to the node sink of the *current thread* (set by the worker around each attempt) and pass every
other write through unchanged; a root logging handler does the same for log records. Threads a node
starts itself are not attributed to it (their output passes through). Installation is reference-counted
so concurrent runs share it, and undone only if nobody replaced the streams meanwhile.
If logging is unconfigured (the root logger has no handlers), the root level is lowered to INFO for the
run, so `logging.info` in a node is captured; other threads' records keep their old threshold.
Process workers call `install_child_capture`: there every write and record belongs to the running node.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from ..events import NodeLog

_local = threading.local()
_lock = threading.Lock()
_state: dict[str, Any] = {"count": 0}


class NodeSink:
    """Line-buffers text written by one node attempt and emits each line as a NodeLog."""

    def __init__(
        self, node_id: str, run_id: str, emit: Callable[[NodeLog], None], clock: Callable[[], float]
    ) -> None:
        self.node_id, self.run_id, self._emit, self._clock = node_id, run_id, emit, clock
        self._partial: dict[str, str] = {}

    def write(self, text: str, level: str) -> None:
        buffered = self._partial.pop(level, "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self.log(line.rstrip("\r"), level)
        if rest:
            self._partial[level] = rest

    def log(self, message: str, level: str) -> None:
        self._emit(NodeLog(self.run_id, self._clock(), self.node_id, level, message))

    def close(self) -> None:
        if self._partial:
            for level, rest in list(self._partial.items()):
                self.log(rest, level)
            self._partial.clear()

    def retarget(self, node_id: str, run_id: str) -> None:
        """Serve another attempt (a thread worker keeps one sink; `close` the previous one first)."""
        self.node_id, self.run_id = node_id, run_id


def current_sink() -> NodeSink | None:
    return getattr(_local, "sink", None)


def set_thread_sink(sink: NodeSink | None) -> None:
    _local.sink = sink


def capture_state() -> threading.local:
    """The thread-local whose `sink` attribute routes the current thread's output (for hot loops)."""
    return _local


class _StreamRouter:
    """Stands in for sys.stdout/sys.stderr: node threads write to their sink, others to the original."""

    def __init__(self, original: TextIO, level: str) -> None:
        self._original = original
        self._level = level

    def write(self, text: str) -> int:
        sink = getattr(_local, "sink", None)
        if sink is None:
            return self._original.write(text)
        sink.write(text, self._level)
        return len(text)

    def flush(self) -> None:
        if getattr(_local, "sink", None) is None:
            self._original.flush()

    def close(self) -> None:
        """A node closing `sys.stdout` closes nothing: the stream belongs to the run, not to the node."""
        if getattr(_local, "sink", None) is None:
            self._original.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning"}


def level_name(levelno: int) -> str:
    if levelno >= logging.ERROR:
        return "error"
    return _LEVELS.get(
        levelno, "debug" if levelno < logging.INFO else "info" if levelno < logging.WARNING else "warning"
    )


class _NodeLogHandler(logging.Handler):
    def __init__(self, sink_of: Callable[[], NodeSink | None], passthrough_level: int | None) -> None:
        super().__init__(logging.NOTSET)
        self._sink_of = sink_of
        self._passthrough_level = passthrough_level
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        sink = self._sink_of()
        if sink is not None:
            try:
                sink.log(self.format(record), level_name(record.levelno))
            except Exception:  # noqa: BLE001 - logging must never raise into user code
                self.handleError(record)
        elif self._passthrough_level is not None and record.levelno >= self._passthrough_level:
            last_resort = logging.lastResort
            if last_resort is not None:
                last_resort.handle(record)


def install_thread_capture() -> None:
    """Start routing (reference-counted); pair every call with `uninstall_thread_capture`."""
    with _lock:
        _state["count"] += 1
        if _state["count"] > 1:
            return
        root = logging.getLogger()
        unconfigured = not root.handlers
        handler = _NodeLogHandler(current_sink, root.getEffectiveLevel() if unconfigured else None)
        _state.update(
            stdout=_StreamRouter(sys.stdout, "info"),
            stderr=_StreamRouter(sys.stderr, "warning"),
            handler=handler,
            old_level=root.level if unconfigured and root.level > logging.INFO else None,
        )
        sys.stdout, sys.stderr = _state["stdout"], _state["stderr"]
        root.addHandler(handler)
        if _state["old_level"] is not None:
            root.setLevel(logging.INFO)


def uninstall_thread_capture() -> None:
    with _lock:
        _state["count"] -= 1
        if _state["count"] > 0:
            return
        root = logging.getLogger()
        root.removeHandler(_state.pop("handler"))
        old_level = _state.pop("old_level")
        if old_level is not None and root.level == logging.INFO:
            root.setLevel(old_level)
        for name in ("stdout", "stderr"):
            router = _state.pop(name)
            if getattr(sys, name) is router:
                setattr(sys, name, router._original)


class _ChildStream:
    def __init__(self, sink_of: Callable[[], NodeSink | None], original: TextIO, level: str) -> None:
        self._sink_of, self._original, self._level = sink_of, original, level

    def write(self, text: str) -> int:
        sink = self._sink_of()
        if sink is None:
            return self._original.write(text)
        sink.write(text, self._level)
        return len(text)

    def flush(self) -> None:
        self._original.flush()

    def close(self) -> None:
        """As for threads: a node cannot close the worker's streams."""
        if self._sink_of() is None:
            self._original.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def install_child_capture(sink_of: Callable[[], NodeSink | None]) -> None:
    """In a process worker: every write and INFO+ record goes to the running node's sink."""
    sys.stdout = _ChildStream(sink_of, sys.stdout, "info")
    sys.stderr = _ChildStream(sink_of, sys.stderr, "warning")
    root = logging.getLogger()
    root.addHandler(_NodeLogHandler(sink_of, None))
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
