"""One attempt of one node: call the function with its inputs and context, split and pickle its outputs.

This is the only code that calls node functions, shared by the thread workers, the process child and
the Dask task, so every backend behaves the same. Any failure, including a `BaseException` such as
`SystemExit`, `KeyboardInterrupt`, `GeneratorExit` or `asyncio.CancelledError` raised by the node,
becomes a one-line error (`Type: first line of message`) plus the full traceback in the node's log; it
never escapes to kill a worker. When the task carries a cache key, the outputs are pickled here (off the
scheduler's path), but written to the cache only by `store_result`, and only once the scheduler has
accepted the outcome (`Outcome.accepted`): a result that arrives after its attempt ended (timed out,
given up, cancelled) must never be found in the cache by a later run.
"""

from __future__ import annotations

import copy
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..context import Context
from ..events import Event, NodeLog
from ..node_types import NodeType
from .cache import ResultCache, cache_entry_bytes
from .map_tasks import MapSupport, SubtaskRunner
from .summaries import one_line_error

__all__ = ["Outcome", "Task", "execute", "one_line_error", "store_result"]


class Task:
    """One attempt to send to a worker (picklable; a plain class because it is built once per attempt).

    `map_scope` is the node's cache scope for the items of its `ctx.map` (None: items are not cached);
    `map_read` is False when the node is forced to re-run (its items run again too).
    """

    __slots__ = (
        "task_id",
        "run_id",
        "node_id",
        "attempt",
        "node_type",
        "kwargs",
        "cache_key",
        "cache_root",
        "map_scope",
        "map_read",
    )

    def __init__(
        self,
        task_id: int,
        run_id: str,
        node_id: str,
        attempt: int,
        node_type: NodeType,
        kwargs: dict[str, Any],
        cache_key: str | None = None,
        cache_root: str | None = None,
        map_scope: str | None = None,
        map_read: bool = True,
    ) -> None:
        self.task_id, self.run_id, self.node_id, self.attempt = task_id, run_id, node_id, attempt
        self.node_type, self.kwargs, self.cache_key, self.cache_root = (
            node_type,
            kwargs,
            cache_key,
            cache_root,
        )
        self.map_scope, self.map_read = map_scope, map_read


class Flag(Protocol):
    """What `ctx.cancelled` reads: the run's cancel, or this attempt being given up."""

    def is_set(self) -> bool: ...


@dataclass(slots=True)
class Outcome:
    task_id: int
    ok: bool
    outputs: dict[str, Any] | None
    error: str | None
    finished: float
    will_store: bool = False  # the worker holds the pickled outputs, to cache once accepted
    accepted: bool = False  # set by the scheduler when it records the success: only then is it cached


SubtaskSource = Callable[[Flag, Callable[[Event], None]], SubtaskRunner]


def execute(
    task: Task,
    emit: Callable[[Event], None],
    cancel_flag: Flag,
    pickled: bool = False,
    subtasks: SubtaskSource | None = None,
) -> tuple[Outcome, bytes | None]:
    """Run the task; returns the outcome and, with a cache key or `pickled`, the outputs pickled.

    `emit` receives the node's events (its context's, and the traceback of a failure); `cancel_flag` is
    what `ctx.cancelled` reads; `subtasks` makes the runner for `ctx.map` (None: items run in this
    thread, one after another). The context is only built for functions that ask for one.
    """
    node_type = task.node_type
    try:
        kwargs = {k: copy.deepcopy(v) if type(v) in (list, dict) else v for k, v in task.kwargs.items()}
        if node_type.context_param:
            support = MapSupport(subtasks, task.cache_root, task.map_scope, task.map_read)
            kwargs[node_type.context_param] = Context(
                task.node_id, task.run_id, task.attempt, emit, cancel_flag, support
            )
        value = node_type.func(**kwargs)
        outputs = node_type.split_outputs(value)
    except BaseException as exc:  # noqa: BLE001 - a node's failure is a state, whatever it raised
        return _failed(task, emit, exc), None
    finished = time.time()
    data: bytes | None = None
    if task.cache_key is not None or pickled:
        try:
            data = cache_entry_bytes(outputs, task.run_id, task.node_id, finished)
        except BaseException as exc:  # noqa: BLE001 - unpicklable output (or a __reduce__ that raises)
            if pickled:
                message = f"output cannot be sent back from the worker: {one_line_error(exc)}"
                return Outcome(task.task_id, False, None, message, finished), None
            _warn(task, emit, f"result not cached: {one_line_error(exc)}")
    will_store = data is not None and task.cache_key is not None
    return Outcome(task.task_id, True, outputs, None, finished, will_store), data


def _failed(task: Task, emit: Callable[[Event], None], exc: BaseException) -> Outcome:
    user_tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # drop this frame
    try:
        text = "".join(traceback.format_exception(type(exc), exc, user_tb)).rstrip()
    except BaseException:  # noqa: BLE001 - formatting a hostile exception can itself raise
        text = one_line_error(exc)
    emit(NodeLog(task.run_id, time.time(), task.node_id, "error", text))
    return Outcome(task.task_id, False, None, one_line_error(exc), time.time())


def store_result(
    task: Task,
    outcome: Outcome,
    data: bytes | None,
    emit: Callable[[Event], None],
    stored: Callable[[], None] | None = None,
) -> None:
    """Write an accepted success to the cache (call after the scheduler saw the outcome). A backend with
    `stores_accepted` passes `stored` (`Reporter.stored`): the run does not end before its results are
    in the cache, so a run started right after it finds them."""
    try:
        if outcome.accepted and data is not None and task.cache_key is not None:
            ResultCache(Path(task.cache_root) if task.cache_root else None).store_bytes(task.cache_key, data)
    except OSError as exc:
        _warn(task, emit, f"result not cached: {one_line_error(exc)}")
    finally:
        if stored is not None and outcome.accepted and outcome.will_store:
            stored()


def _warn(task: Task, emit: Callable[[Event], None], message: str) -> None:
    emit(NodeLog(task.run_id, time.time(), task.node_id, "warning", message))
