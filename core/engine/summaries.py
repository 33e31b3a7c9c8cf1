"""Show node outputs without shipping them: JSON values as themselves, anything else as a short summary.

`json_or_summary` is what the `--results` document holds for an output (the design: a JSON number,
string, bool, null, or a list/dict of them appears as itself; anything else as its type and shape).
`short_summary` is the one-line text the events carry for display; it never walks a large value.

Every function here is total: a node may return anything, including a value whose `repr`, `str`,
`len` or `.shape` raises, or an int too long to print (over 4,300 digits Python refuses to convert
it). Such a value degrades to a plain description ("int (5,001 digits)", "Weird") and never raises into
the engine, the run store or the results writer, which rely on that.
"""

from __future__ import annotations

import math
import sys
from typing import Any

_SCALARS = (str, int, float, bool, type(None))
SHORT_LIMIT = 80
MAX_DEPTH = 100
MAX_ELEMENTS = 1_000_000  # a results file shows bigger values as a summary
_LOG10_2 = math.log10(2)
SMALL_INT = 10**20
SAFE_INT_BITS = 2000  # about 600 digits: below Python's smallest allowed limit (640), always printable


def _int_digits_limit() -> int:
    get = getattr(sys, "get_int_max_str_digits", None)
    return int(get()) if get is not None else 0


def int_is_printable(value: int) -> bool:
    """False for an int Python refuses to turn into text (over `sys.get_int_max_str_digits()` digits)."""
    if value.bit_length() < SAFE_INT_BITS:
        return True  # the hot path: every int a run usually sees
    limit = _int_digits_limit()
    return limit == 0 or value.bit_length() * _LOG10_2 < limit - 1


def is_json_value(value: Any, _depth: int = 0) -> bool:
    """True if `value` is JSON as it stands (finite numbers, str keys, lists/tuples/dicts of JSON).

    At most `MAX_ELEMENTS` elements are looked at, counting a shared or cyclic part each time it is
    reached (as `json.dumps` would write it): a list holding itself twice is not JSON, not a hang.
    """
    try:
        return _is_json(value, _depth, [MAX_ELEMENTS])
    except Exception:  # noqa: BLE001 - e.g. a container mutated by a still-running thread
        return False


def _is_json(value: Any, depth: int, budget: list[int]) -> bool:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        return False
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return int_is_printable(value)
    if kind is str:
        return _encodable(value)
    if kind is bool or value is None:
        return True
    if kind is list or kind is tuple:
        return all(_is_json(v, depth + 1, budget) for v in value)
    if kind is dict:
        return all(
            type(k) is str and _encodable(k) and _is_json(v, depth + 1, budget) for k, v in value.items()
        )
    return False


def _encodable(text: str) -> bool:
    """False for text with lone surrogates (no UTF-8 form: a results file could not hold it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_or_summary(value: Any) -> Any:
    """The value itself when it is JSON, else `short_summary(value)`."""
    if is_json_value(value):
        return list(value) if type(value) is tuple else value
    return short_summary(value)


def type_name(value: Any) -> str:
    """The value's type name, even for a class whose metaclass misbehaves."""
    try:
        name = type(value).__name__
    except Exception:  # noqa: BLE001
        return "object"
    return name if isinstance(name, str) and name.isprintable() else "object"


def short_summary(value: Any) -> str:
    """A one-line description: the value for small scalars, else the type and shape or length."""
    kind = type(value)
    if (kind is int and -SMALL_INT < value < SMALL_INT) or kind is float or kind is bool or value is None:
        return repr(value)  # the hot path (at most 25 characters): no call, no clip
    try:
        return _summary(value)
    except Exception:  # noqa: BLE001 - repr/len/shape/str raised: the type name is all we can say
        return type_name(value)


def _summary(value: Any) -> str:
    kind = type(value)
    if kind is int:
        if not int_is_printable(value):
            return f"int ({int(value.bit_length() * _LOG10_2) + 1:,} digits)"
        return _clip(repr(value))
    if value is None or kind is bool or kind is float:
        return _clip(repr(value))
    if kind is str:
        return _clip(repr(value[: SHORT_LIMIT + 1]))  # never copy a huge string to clip it
    name = type_name(value)
    shape = getattr(value, "shape", None)
    if type(shape) is tuple and all(type(s) is int for s in shape):
        dtype = getattr(value, "dtype", None)
        dims = " x ".join(map(str, shape)) or "scalar"
        return _clip(f"{name} {dims}" + (f" {_printable(str(dtype))}" if dtype is not None else ""))
    if isinstance(value, dict):
        return f"{name} ({len(value)} keys)" if kind is not dict else f"dict ({len(value)} keys)"
    if isinstance(value, list | tuple | set | frozenset):
        return f"{name} ({len(value)} items)"
    if isinstance(value, bytes | bytearray):
        return f"{name} ({len(value)} bytes)"
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break a run report
        text = ""
    if type(text) is str and text and "\n" not in text and not text.startswith("<"):
        text = _printable(text[: SHORT_LIMIT * 2])
        if text:
            return _clip(f"{name}: {text}")
    return name


def _printable(text: str) -> str:
    """Text safe to show on one terminal line: control characters, bidi overrides, surrogates dropped."""
    if text.isprintable() and _encodable(text):
        return text
    return "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)


def summarize_outputs(outputs: Any) -> dict[str, str]:
    """port -> short summary, for the NodeFinished event (total: any mapping, any values)."""
    try:
        return {port if type(port) is str else str(port): short_summary(v) for port, v in outputs.items()}
    except Exception:  # noqa: BLE001 - not a mapping (short_summary itself never raises)
        return {}


def one_line_error(exc: BaseException) -> str:
    """`Type: first line of the message`, even when the exception's own `str` raises."""
    name = type_name(exc)
    try:
        text = str(exc).strip().splitlines()
    except Exception:  # noqa: BLE001 - a hostile __str__
        return name
    message = _printable(text[0]) if text else ""
    return f"{name}: {message}" if message else name


def _clip(text: str) -> str:
    return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 1] + "…"
