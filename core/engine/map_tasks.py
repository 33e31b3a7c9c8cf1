"""`ctx.map`: one function over many items, as sub-tasks of a node, on the run's own backend.

The map itself runs in the node's thread (`run_map`): it takes what the cache has, hands items to a
`SubtaskRunner` no faster than the runner's `capacity`, turns the runner's reports into timeline events
(`SubtaskStarted`/`SubtaskFinished`) and `on_result` calls, and returns the results in item order. The
runner is where the items run, and is the one thing a backend provides:

- `SequentialRunner` (the default, and `Context.detached()`): each item in the node's own thread.
- threads: `threads_backend.ThreadSubtaskPool` (the run's own daemon threads, `workers` of them);
- processes: `process_subtasks` (the node's worker process asks the parent, which runs the items on
  worker processes of their own, `workers` of them, and sends the reports back).

A backend that has no runner of its own (dask, for now) passes none and gets the sequential one.

Rules every runner follows, because `run_map` relies on them: `start` never blocks for long (items
queue when every slot is busy); `wait` returns the reports that arrived, a "started" one before the
item's "done"; `stop` drops queued items and turns on `ctx.cancelled` for running ones, whose reports
may still arrive and are then ignored. An item's result is written to the cache by whoever ran it, and
only if its cancel flag was still off when it returned: a result computed after it saw `ctx.cancelled`
may be partial, so it must never be found in the cache later.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import os
import pickle
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..context import Cancelled, Context, MapItemError
from ..events import Event, NodeLog, NodeStatus, SubtaskFinished, SubtaskStarted
from .cache import PROTOCOL, ResultCache, cache_entry_bytes
from .summaries import one_line_error, short_summary

WAIT_S = 0.05  # how often a waiting map looks at the cancel flag
ITEM_SALT = "nodeloom-map-item-1"
_map_ids = itertools.count(1)


class Flag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(slots=True)
class Subtask:
    """One item to run (picklable: a process worker receives it)."""

    map_id: str
    index: int
    function: Callable[..., Any]
    item: Any
    with_context: bool  # pass a Context as the second argument
    node_id: str
    run_id: str
    cache_key: str | None = None  # store the result under this key (None: not cached)
    cache_root: str | None = None


@dataclass(slots=True)
class SubtaskReport:
    """What a runner tells the map: an item started ("started") or ended ("done")."""

    map_id: str
    index: int
    kind: str  # "started" | "done"
    time: float
    worker: str = ""
    ok: bool = False
    value: Any = None  # the result, when it did not cross a process boundary
    data: bytes | None = None  # else the pickled cache entry holding it ({"outputs": {"value": ...}})
    error: str | None = None


class SubtaskRunner(Protocol):
    """Where a map's items run (see the module docstring for the rules)."""

    capacity: int

    def start(self, sub: Subtask) -> None: ...

    def wait(self, timeout: float) -> list[SubtaskReport]: ...

    def stop(self) -> None: ...


@dataclass(slots=True)
class MapSupport:
    """What a node's context needs for `map`: the backend's runner, and where items are cached."""

    runner: Callable[[Flag, Callable[[Event], None]], SubtaskRunner] | None = None  # None: sequential
    cache_root: str | None = None
    scope: str | None = None  # the node's cache scope; None: items are not cached
    read_cache: bool = True  # False when the node is forced to re-run
    nested: bool = False  # True inside an item: map is refused


NESTED = MapSupport(nested=True)


class EitherFlag:
    """Set when either flag is: an item sees the node's cancel and its own map's stop."""

    __slots__ = ("_a", "_b")

    def __init__(self, a: Flag, b: Flag) -> None:
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()


# -- running one item (in whichever thread or process runs it) --------------------------------------------
def run_subtask(
    sub: Subtask, flag: Flag, emit: Callable[[Event], None], worker: str, pickled: bool
) -> SubtaskReport:
    """Run one item; with `pickled`, the value travels as `data` (a process worker sends it to the parent)."""
    ctx = Context(sub.node_id, sub.run_id, 1, emit, flag, NESTED) if sub.with_context else None
    try:
        value = sub.function(sub.item, ctx) if ctx is not None else sub.function(sub.item)
    except BaseException as exc:  # noqa: BLE001 - an item's failure is a report, never a dead worker
        user_tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        try:
            text = "".join(traceback.format_exception(type(exc), exc, user_tb)).rstrip()
        except BaseException:  # noqa: BLE001
            text = one_line_error(exc)
        emit(NodeLog(sub.run_id, time.time(), sub.node_id, "error", f"item {sub.index} failed:\n{text}"))
        return SubtaskReport(
            sub.map_id, sub.index, "done", time.time(), worker, False, error=one_line_error(exc)
        )
    finished = time.time()
    data: bytes | None = None
    if pickled or sub.cache_key is not None:
        try:
            data = cache_entry_bytes({"value": value}, sub.run_id, sub.node_id, finished)
        except BaseException as exc:  # noqa: BLE001 - an unpicklable result
            if pickled:
                error = f"result cannot be sent back from the worker: {one_line_error(exc)}"
                return SubtaskReport(sub.map_id, sub.index, "done", finished, worker, False, error=error)
            message = f"item {sub.index}: result not cached: {one_line_error(exc)}"
            emit(NodeLog(sub.run_id, time.time(), sub.node_id, "warning", message))
    if data is not None and sub.cache_key is not None and not flag.is_set():
        try:
            ResultCache(Path(sub.cache_root) if sub.cache_root else None).store_bytes(sub.cache_key, data)
        except OSError as exc:
            message = f"item {sub.index}: result not cached: {one_line_error(exc)}"
            emit(NodeLog(sub.run_id, time.time(), sub.node_id, "warning", message))
    if pickled:
        return SubtaskReport(sub.map_id, sub.index, "done", finished, worker, True, data=data)
    return SubtaskReport(sub.map_id, sub.index, "done", finished, worker, True, value=value)


class SequentialRunner:
    """Items one after another in the calling thread: outside a run, and on backends without a runner."""

    capacity = 1

    def __init__(self, flag: Flag, emit: Callable[[Event], None]) -> None:
        self._flag, self._emit = flag, emit
        self._queue: deque[Subtask] = deque()

    def start(self, sub: Subtask) -> None:
        self._queue.append(sub)

    def wait(self, timeout: float) -> list[SubtaskReport]:
        if not self._queue:
            return []
        sub = self._queue.popleft()
        started = SubtaskReport(sub.map_id, sub.index, "started", time.time(), "this thread")
        return [started, run_subtask(sub, self._flag, self._emit, "this thread", False)]

    def stop(self) -> None:
        self._queue.clear()


# -- cache keys ---------------------------------------------------------------------------------------------
_file_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: str) -> str:
    st = os.stat(path)
    memo = (path, st.st_mtime_ns, st.st_size)
    digest = _file_digests.get(memo)
    if digest is None:
        digest = _file_digests[memo] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return digest


def function_identity(function: Callable[..., Any]) -> str | None:
    """The function's module file content and its pickled reference (name, bound partial arguments).

    None when it has none that lasts (a lambda, a closure, a module without a file): not cached.
    """
    try:
        reference = pickle.dumps(function, PROTOCOL)
    except Exception:  # noqa: BLE001 - not picklable: no identity that survives the process
        return None
    target: Any = inspect.unwrap(function)
    while hasattr(target, "func") and not inspect.isroutine(target):  # functools.partial
        target = inspect.unwrap(target.func)
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    try:
        content = _file_digest(path) if path else ""
    except OSError:
        return None
    if not content and getattr(module, "__name__", "") not in sys.builtin_module_names:
        return None
    return hashlib.sha256(reference + content.encode()).hexdigest()


def item_key(identity: str, scope: str, item: Any) -> str | None:
    try:
        data = pickle.dumps(item, PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable item is run, never cached
        return None
    digest = hashlib.sha256(f"{ITEM_SALT}\0{identity}\0{scope}\0".encode())
    digest.update(data)
    return "m" + digest.hexdigest()[:31]


def load_entry(cache: ResultCache, key: str) -> dict[str, Any] | None:
    """A cache entry, or None for a miss: an entry that cannot be loaded (even one whose unpickling
    raises a BaseException, as a hostile `__setstate__` may) is a miss, never a failure."""
    try:
        return cache.load(key)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001
        return None


# -- the map (the node's thread) ----------------------------------------------------------------------------
def item_label(label: str | Callable[[Any], str] | None, item: Any, index: int) -> str:
    """The item's name on the timeline: the caller's label (a callable or a `{}` template), else a short one."""
    try:
        if callable(label):
            return str(label(item))
        if isinstance(label, str):
            return label.format(**item) if isinstance(item, dict) else label.format(item)
        if isinstance(item, dict) and item and all(type(k) is str for k in item):
            return ", ".join(f"{k}={short_summary(v)}" for k, v in item.items())
        if type(item) in (int, float, str, bool):
            return short_summary(item)
    except Exception:  # noqa: BLE001 - a label is decoration: never fail the map for it
        pass
    return f"item {index}"


def wants_context(function: Callable[..., Any]) -> bool:
    """True if the function declares a second parameter annotated `Context`."""
    from ..node_types import _hints, _is_context

    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    if len(params) < 2:
        return False
    hints = _hints(function) if inspect.isroutine(inspect.unwrap(function)) else {}
    return _is_context(hints.get(params[1].name, params[1].annotation))


def run_map(
    ctx: Context,
    function: Callable[..., Any],
    items: Iterable[Any],
    *,
    label: str | Callable[[Any], str] | None,
    on_result: Callable[[int, Any], None] | None,
    cache: bool,
) -> list[Any]:
    support: MapSupport | None = ctx._subtasks
    if support is not None and support.nested:
        raise RuntimeError("ctx.map inside an item of ctx.map is not supported (map the inner items first)")
    if not callable(function):
        raise TypeError(f"ctx.map needs a function, not {type(function).__name__}")
    flag: Flag = ctx._cancel
    emit = ctx._emit
    items = list(items)
    labels = [item_label(label, item, i) for i, item in enumerate(items)]
    with_context = wants_context(function)
    map_id = f"{ctx.run_id}:{ctx.node_id}:{os.getpid()}:{next(_map_ids)}"
    node_id, run_id = ctx.node_id, ctx.run_id
    results: list[Any] = [None] * len(items)
    if flag.is_set():
        raise Cancelled("ctx.map: cancelled before it started")

    keys: list[str | None] = [None] * len(items)
    store: ResultCache | None = None
    if cache and support is not None and support.scope is not None:
        identity = function_identity(function)
        if identity is not None:
            keys = [item_key(identity, support.scope, item) for item in items]
            store = ResultCache(Path(support.cache_root) if support.cache_root else None)
    pending: deque[int] = deque()
    for index in range(len(items)):
        key = keys[index]
        readable = store is not None and key is not None and support is not None and support.read_cache
        entry = load_entry(store, key) if readable else None  # type: ignore[arg-type]
        if entry is None or "value" not in entry["outputs"]:
            pending.append(index)
            continue
        now = time.time()
        emit(SubtaskStarted(run_id, now, node_id, index, labels[index], "cache"))
        emit(SubtaskFinished(run_id, now, node_id, index, labels[index], NodeStatus.CACHED, 0.0))
        results[index] = entry["outputs"]["value"]
        if on_result is not None:
            on_result(index, results[index])
    if not pending:
        return results

    runner: SubtaskRunner = (
        support.runner(flag, emit)
        if support is not None and support.runner is not None
        else SequentialRunner(flag, emit)
    )
    running: dict[int, float | None] = {}  # index -> when it started (None: queued in the runner)
    root = support.cache_root if support is not None else None
    try:
        while pending or running:
            if flag.is_set():
                raise Cancelled("ctx.map: the run is being cancelled or the node timed out")
            while pending and len(running) < runner.capacity:
                index = pending.popleft()
                running[index] = None
                runner.start(
                    Subtask(
                        map_id,
                        index,
                        function,
                        items[index],
                        with_context,
                        node_id,
                        run_id,
                        keys[index],
                        root,
                    )
                )
            for report in runner.wait(WAIT_S):
                index = report.index
                if report.map_id != map_id or index not in running:
                    continue  # a late report of an earlier map
                if report.kind == "started":
                    running[index] = report.time
                    emit(SubtaskStarted(run_id, report.time, node_id, index, labels[index], report.worker))
                    continue
                if flag.is_set():  # it may have stopped early because it saw ctx.cancelled
                    raise Cancelled("ctx.map: the run is being cancelled or the node timed out")
                started = running.pop(index)
                if started is None:  # its "started" never came (the runner failed to start it)
                    started = report.time
                    emit(SubtaskStarted(run_id, started, node_id, index, labels[index], report.worker))
                value, error = report.value, report.error
                if report.ok and report.data is not None:
                    try:
                        value = pickle.loads(report.data)["outputs"]["value"]
                    except BaseException as exc:  # noqa: BLE001 - a class that does not load in this process
                        error = f"cannot receive the result: {one_line_error(exc)}"
                ok = report.ok and error is None
                status = NodeStatus.SUCCEEDED if ok else NodeStatus.FAILED
                duration = max(0.0, report.time - started)
                emit(
                    SubtaskFinished(
                        run_id, report.time, node_id, index, labels[index], status, duration, error
                    )
                )
                if not ok:
                    raise MapItemError(index, labels[index], error or "failed")
                results[index] = value
                if on_result is not None:
                    on_result(index, value)
    except BaseException:
        runner.stop()
        now = time.time()
        for index, started in running.items():
            if started is not None:  # close its bar on the timeline
                duration = now - started
                emit(
                    SubtaskFinished(
                        run_id, now, node_id, index, labels[index], NodeStatus.CANCELLED, duration
                    )
                )
        raise
    return results
