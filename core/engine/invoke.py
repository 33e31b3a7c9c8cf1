"""One attempt of one node: call the function with its inputs and context, split and cache its outputs.

This is the only code that calls user functions, shared by the thread workers and the process child,
so both backends behave the same. A failure becomes a one-line error (`Type: first line of message`)
plus the full traceback in the node's log; it never escapes. When the task carries a cache key, the
outputs are pickled and stored here, in the worker, off the scheduler's path; an output that cannot be
pickled is logged as "not cached" and the node still succeeds.
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


class Task:
    """One attempt to send to a worker (picklable; a plain class because it is built once per attempt)."""

    __slots__ = ("task_id", "run_id", "node_id", "attempt", "node_type", "kwargs", "cache_key", "cache_root")

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
    ) -> None:
        self.task_id, self.run_id, self.node_id, self.attempt = task_id, run_id, node_id, attempt
        self.node_type, self.kwargs, self.cache_key, self.cache_root = (
            node_type,
            kwargs,
            cache_key,
            cache_root,
        )


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


def one_line_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def execute(
    task: Task, emit: Callable[[Event], None], cancel_flag: Flag, pickled: bool = False
) -> tuple[Outcome, bytes | None]:
    """Run the task; with `pickled`, also return the outputs pickled (the process child sends those).

    `emit` receives the node's events (its context's, and the traceback of a failure); `cancel_flag` is
    what `ctx.cancelled` reads. The context is only built for functions that ask for one.
    """
    node_type = task.node_type
    kwargs = {k: copy.deepcopy(v) if type(v) in (list, dict) else v for k, v in task.kwargs.items()}
    if node_type.context_param:
        kwargs[node_type.context_param] = Context(task.node_id, task.run_id, task.attempt, emit, cancel_flag)
    try:
        value = node_type.func(**kwargs)
        outputs = node_type.split_outputs(value)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - a node's failure is a state
        user_tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # drop this frame
        text = "".join(traceback.format_exception(type(exc), exc, user_tb)).rstrip()
        emit(NodeLog(task.run_id, time.time(), task.node_id, "error", text))
        return Outcome(task.task_id, False, None, one_line_error(exc), time.time()), None
    finished = time.time()
    data: bytes | None = None
    if task.cache_key is not None or pickled:
        try:
            data = cache_entry_bytes(outputs, task.run_id, task.node_id, finished)
        except Exception as exc:  # noqa: BLE001 - unpicklable output
            if pickled:
                message = f"output cannot be sent back from the worker: {one_line_error(exc)}"
                return Outcome(task.task_id, False, None, message, finished), None
            _warn(task, emit, f"result not cached: {one_line_error(exc)}")
    if data is not None and task.cache_key is not None:
        try:
            ResultCache(Path(task.cache_root) if task.cache_root else None).store_bytes(task.cache_key, data)
        except OSError as exc:
            _warn(task, emit, f"result not cached: {one_line_error(exc)}")
    return Outcome(task.task_id, True, outputs, None, finished), data


def _warn(task: Task, emit: Callable[[Event], None], message: str) -> None:
    emit(NodeLog(task.run_id, time.time(), task.node_id, "warning", message))
