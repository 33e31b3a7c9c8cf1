"""Show node outputs without shipping them: JSON values as themselves, anything else as a short summary.

`json_or_summary` is what the `--results` document holds for an output (the design: a JSON number,
string, bool, null, or a list/dict of them appears as itself; anything else as its type and shape).
`short_summary` is the one-line text the events carry for display; it never walks a large value.
"""

from __future__ import annotations

import math
from typing import Any

_SCALARS = (str, int, float, bool, type(None))
SHORT_LIMIT = 80


def is_json_value(value: Any, _depth: int = 0) -> bool:
    """True if `value` is JSON as it stands (finite numbers, str keys, lists/tuples/dicts of JSON)."""
    if _depth > 100:
        return False
    if isinstance(value, float):
        return math.isfinite(value) and type(value) is float
    if type(value) in (str, int, bool) or value is None:
        return True
    if type(value) in (list, tuple):
        return all(is_json_value(v, _depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_json_value(v, _depth + 1) for k, v in value.items())
    return False


def json_or_summary(value: Any) -> Any:
    """The value itself when it is JSON, else `short_summary(value)`."""
    if is_json_value(value):
        return list(value) if type(value) is tuple else value
    return short_summary(value)


def short_summary(value: Any) -> str:
    """A one-line description: the value for small scalars, else the type and shape or length."""
    kind = type(value)
    if value is None or kind in (bool, int, float):
        return _clip(repr(value))
    if kind is str:
        return _clip(repr(value))
    name = kind.__name__
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(s, int) for s in shape):
        dtype = getattr(value, "dtype", None)
        dims = " x ".join(map(str, shape)) or "scalar"
        return f"{name} {dims}" + (f" {dtype}" if dtype is not None else "")
    if isinstance(value, dict):
        return f"dict ({len(value)} keys)"
    if isinstance(value, list | tuple | set | frozenset):
        return f"{name} ({len(value)} items)"
    if isinstance(value, bytes | bytearray):
        return f"{name} ({len(value)} bytes)"
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break a run report
        text = ""
    if text and "\n" not in text and not text.startswith("<"):
        return _clip(f"{name}: {text}")
    return name


def summarize_outputs(outputs: dict[str, Any]) -> dict[str, str]:
    return {port: short_summary(v) for port, v in outputs.items()}


def _clip(text: str) -> str:
    return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 1] + "…"
