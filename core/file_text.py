"""Reading a pipeline file's bytes into JSON, with the strictness a pipeline needs.

Regular files only (a FIFO or a device never blocks the reader), size-limited, UTF-8 only (a UTF-16/32
file gets its own message), no NUL bytes, no NaN/Infinity and no number too large for a float (`1e400`),
no duplicate keys, at most `MAX_NESTING` levels of arrays and objects, and every failure a one-line
`ValueError`, never a traceback: the corpus of broken files that `nodeloom validate` must survive starts
here. The nesting limit lives here, once: loading, validation of `--set` values and the run all obey it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from typing import Any

MAX_FILE_BYTES = 64 * 1024 * 1024
# Arrays and objects nested deeper than this are refused: a pipeline needs a handful of levels, and
# everything downstream (deep copies, pickling, the results file) must handle whatever loads.
MAX_NESTING = 100


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


class _BadNumber(ValueError):
    """A literal JSON cannot hold: NaN/Infinity, or a number beyond a float's range."""

    def __init__(self, literal: str, reason: str) -> None:
        super().__init__(literal)
        self.literal = literal
        self.reason = reason


def _no_constants(name: str) -> Any:
    raise _BadNumber(name, f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _BadNumber(literal, f"the number {literal} is too large (it would be infinite)")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite_float
)
# what the decoder scans past: strings (skipped whole), numbers and the NaN/Infinity constants
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?(?:Infinity|NaN)|NaN|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[\[\]{}]')


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line} column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _find(text: str, wanted: str | None) -> int | None:
    """Where the first `wanted` token (outside strings) is; with None, where nesting first exceeds the limit."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if wanted is None:
            if token in ("[", "{"):
                depth += 1
                if depth > MAX_NESTING:
                    return match.start()
            elif token in ("]", "}"):
                depth -= 1
        elif token == wanted:
            return match.start()
    return None


def nesting_error(value: Any, depth: int = 0) -> str | None:
    """Why `value` is nested too deeply (counting from `depth` levels already used), else None."""
    if type(value) not in (dict, list):
        return None
    if _deeper_than(value, MAX_NESTING - depth):
        return f"nested more than {MAX_NESTING} levels deep"
    return None


def _deeper_than(value: Any, budget: int) -> bool:
    """Whether `value` (itself one level) nests more than `budget` levels. Recursive on purpose: about
    four times faster than an explicit stack on a 10,000-node file, and `budget` bounds the depth."""
    if budget <= 0:
        return True
    for child in value.values() if type(value) is dict else value:
        kind = type(child)
        if (kind is dict or kind is list) and _deeper_than(child, budget - 1):
            return True
    return False


def parse_text(text: str) -> Any:
    """JSON with the strictness a pipeline needs: no NaN/Infinity or overflowing numbers, no duplicate
    keys, at most `MAX_NESTING` levels. Raises ValueError naming the line and column."""
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except _DuplicateKey as exc:
        raise ValueError(f"invalid JSON: duplicate key '{exc}'") from None
    except _BadNumber as exc:
        index = _find(text, exc.literal)
        where = f" at {_position(text, index)}" if index is not None else ""
        raise ValueError(f"invalid JSON{where}: {exc.reason}") from None
    except RecursionError:
        too_deep = True
    except ValueError as exc:  # integers too long to convert
        message = str(exc)
        if "integer string conversion" in message:
            message = "a number has too many digits"
        raise ValueError(
            f"invalid JSON: {message.splitlines()[0] if message else type(exc).__name__}"
        ) from None
    else:
        too_deep = type(value) in (dict, list) and nesting_error(value) is not None
    if too_deep:
        index = _find(text, None)
        where = f" at {_position(text, index)}" if index is not None else ""
        raise ValueError(f"invalid JSON{where}: nested more than {MAX_NESTING} levels deep")
    return value


def regular_file_error(path: str | os.PathLike[str]) -> str | None:
    """Why `path` is not a readable regular file (missing, a folder, a FIFO, a symlink loop), else None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        if exc.errno == 40 or "symbolic links" in str(exc.strerror):  # ELOOP
            return "cannot read: a loop of symbolic links"
        return f"cannot read: {exc.strerror or exc}"
    return _kind_error(mode)


def _kind_error(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a pipeline file"
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"is {kind}, not a regular file" if kind != "not a regular file" else "is not a regular file"


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; raises ValueError with a one-line reason (missing, not a regular file, too large,
    not UTF-8). A FIFO is refused before it is opened, and the open itself never blocks (O_NONBLOCK),
    so a path swapped for a FIFO in between is caught by the second check, not waited on."""
    problem = regular_file_error(path)
    if problem:
        raise ValueError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            problem = _kind_error(info.st_mode)
            if problem:
                raise ValueError(problem)
            if info.st_size > MAX_FILE_BYTES:
                raise ValueError(
                    f"file is too large ({info.st_size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MiB)"
                )
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a directory, not a pipeline file") from None
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"file is too large (the limit is {MAX_FILE_BYTES // 2**20} MiB)")
    if not data or data.isspace():
        raise ValueError("file is empty")
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise ValueError(f"the file is {encoding}; a pipeline file must be UTF-8")
    if b"\x00" in data:
        raise ValueError("not a text file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None


_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large, acyclic structure.

    Parsing a 10,000-node file allocates hundreds of thousands of containers, each allocation counting
    towards a collection that can find nothing to free (JSON data has no cycles); pausing it makes
    loading about a third faster. Nesting is fine: only the outermost pause turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
