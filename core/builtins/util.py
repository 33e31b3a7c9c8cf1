"""Utility nodes: pass-through with a delay, logging a value, failing on purpose (for trying retries)."""

from __future__ import annotations

import time
from typing import Any

from ..context import Context
from ..decorator import node


@node(name="util.sleep", category="util", icon="fa5s.hourglass-half", ports={"seconds": {"minimum": 0.0}})
def sleep(ctx: Context, value: Any = None, seconds: float = 1.0) -> Any:
    """Wait, reporting progress, then pass the value on; stops early when the run is cancelled."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and not ctx.cancelled:
        ctx.progress(1 - left / seconds if seconds else 1.0, f"{left:.1f}s left")
        time.sleep(min(0.05, left))
    return value


@node(name="util.log", category="util", icon="fa5s.stream")
def log_value(ctx: Context, value: Any = None, message: str = "value: {value}") -> Any:
    """Write a value to the node's log and pass it on."""
    ctx.log(message.format(value=value))
    return value


@node(name="util.fail", category="util", icon="fa5s.bomb")
def fail(message: str = "failed on purpose", value: Any = None) -> Any:
    """Raise an error (for trying failure handling and retries)."""
    raise RuntimeError(message)
