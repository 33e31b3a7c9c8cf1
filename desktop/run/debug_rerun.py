"""Re-run one node in this process with its cached inputs, so a breakpoint in the user's function hits.

The inputs come from the engine's result cache (`cached_inputs`: upstream results as the last run left
them, params resolved); nothing upstream runs. The function is called on a plain Python
`threading.Thread` of the editor's process, not on the GUI thread (a breakpoint there would freeze the
window) and not on a QThread (debuggers such as debugpy/pydevd trace threads started through
`threading` and may skip foreign ones; if debugpy is loaded the thread also registers itself with
`debugpy.debug_this_thread()`). `breakpoint()`/pdb works too when the editor was started from a
terminal. The node reports through a normal context: its progress, metrics and logs appear live, its
outputs in the inspector. The re-run is not recorded in the run history and not written to the cache.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from nodeloom.core.context import Context
from nodeloom.core.engine import RunOptions, cached_inputs
from nodeloom.core.engine.summaries import summarize_outputs
from nodeloom.core.errors import NodeTypeError, one_line
from nodeloom.core.events import Event, NodeFinished, NodeStarted, NodeStatus
from nodeloom.core.model import Pipeline
from nodeloom.core.registry import Registry
from PySide6.QtCore import QObject, Signal

DEBUG_RUN_ID = "debug"
WORKER_NAME = "debug (this process)"


class DebugRerun(QObject):
    finished = Signal(str, object, object)  # node id, outputs (dict) or None, one-line error or None

    def __init__(self, push: Callable[[Event], None]) -> None:
        super().__init__()
        self.push = push
        self.cancel = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(
        self, pipeline: Pipeline, node_id: str, registry: Registry, overrides: dict[str, Any] | None = None
    ) -> str | None:
        """Start the call; returns why it cannot start (one line), or None when it started."""
        node = pipeline.nodes.get(node_id)
        if node is None:
            return f"node '{node_id}' is not in the pipeline"
        try:
            node_type = registry.get(node.type)
            inputs = cached_inputs(
                pipeline, node_id, RunOptions(overrides=dict(overrides or {})), registry=registry
            )
        except NodeTypeError as exc:
            return one_line(str(exc))
        except Exception as exc:  # noqa: BLE001 - an invalid pipeline is reported, not raised
            return one_line(f"node '{node_id}': cannot gather its inputs: {exc}")
        if inputs is None:
            return f"node '{node_id}': its inputs are not in the cache; use Run to here on its inputs first"
        self.cancel.clear()
        self.thread = threading.Thread(
            target=self._call,
            args=(node_id, node_type, inputs),
            name=f"nodeloom-debug-{node_id}",
            daemon=True,
        )
        self.thread.start()
        return None

    def _call(self, node_id: str, node_type: Any, inputs: dict[str, Any]) -> None:
        debugpy = sys.modules.get("debugpy")
        if debugpy is not None and hasattr(debugpy, "debug_this_thread"):
            debugpy.debug_this_thread()
        started = time.time()
        self.push(NodeStarted(DEBUG_RUN_ID, started, node_id, 1, WORKER_NAME))
        ctx = Context(node_id, DEBUG_RUN_ID, 1, emit=self.push, cancel_flag=self.cancel)
        kwargs = dict(inputs)
        if node_type.context_param:
            kwargs[node_type.context_param] = ctx
        outputs: dict[str, Any] | None = None
        error: str | None = None
        try:
            outputs = node_type.split_outputs(node_type.func(**kwargs))  # <- step into the node from here
        except BaseException as exc:  # noqa: BLE001 - the node's failure is shown, never raised in the editor
            text = str(exc).strip().splitlines()
            error = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
            ctx.log("".join(traceback.format_exception(exc)).rstrip(), "error")
        summaries = summarize_outputs(outputs or {})
        status = NodeStatus.SUCCEEDED if error is None else NodeStatus.FAILED
        finished = time.time()
        self.push(
            NodeFinished(
                DEBUG_RUN_ID,
                finished,
                node_id,
                status,
                finished - started,
                1,
                error,
                "re-run in this process for debugging (not cached, not in the history)",
                summaries,
            )
        )
        self.finished.emit(node_id, outputs, error)
