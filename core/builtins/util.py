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


def _evaluate(expression: str, names: dict[str, Any], what: str) -> Any:
    """Evaluate a Python expression over `names` (+ math; `np`/`pd` imported only when it uses them)."""
    import math

    try:
        code = compile(expression, f"<{what}>", "eval")
    except SyntaxError as exc:
        raise ValueError(f"{what}: {expression!r} is not a Python expression ({exc.msg})") from None
    scope: dict[str, Any] = {"math": math, **names}
    if "np" in code.co_names:
        import numpy as np

        scope["np"] = np
    if "pd" in code.co_names:
        import pandas as pd

        scope["pd"] = pd
    return eval(code, scope)  # noqa: S307 - the node's whole point; trust is decided when the file is opened


@node(name="util.assert", category="util", icon="fa5s.check-circle", ports={"condition": {"widget": "text"}})
def assert_value(
    value: Any = None,
    condition: str = "value",
    message: str = "assertion failed: {condition} (value: {value})",
) -> Any:
    """Check a condition on the value, e.g. `value >= 0.98` or `len(value) > 0`: pass the value on when
    true, fail the node with the message when not (stops the pipeline before a bad model ships)."""
    if not _evaluate(condition, {"value": value}, "condition"):
        raise AssertionError(message.format(condition=condition, value=_brief(value)))
    return value


@node(name="util.expression", category="util", icon="fa5s.code", ports={"expression": {"widget": "text"}})
def expression(expression: str = "a + b", a: Any = None, b: Any = None, c: Any = None, d: Any = None) -> Any:
    """The value of a Python expression over the inputs a, b, c, d (with `math`, and `np`/`pd` for NumPy
    and pandas), e.g. `a["accuracy"]`, `round(a * 100, 1)` or `a.sort_values("score").head(3)`."""
    value = _evaluate(expression, {"a": a, "b": b, "c": c, "d": d}, "expression")
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()  # a NumPy scalar as a plain number: JSON in --results, 1.0 not "float64 scalar"
    return value


def _brief(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr raises must not hide the assertion
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"
