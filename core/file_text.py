"""Reading a pipeline file's bytes into JSON, with the strictness a pipeline needs.

Size-limited, UTF-8 only (a UTF-16/32 file gets its own message), no NUL bytes, no NaN/Infinity, no
duplicate keys, and every failure a one-line `ValueError`, never a traceback: the corpus of broken files
that `nodeloom validate` must survive starts here.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterator
from typing import Any

MAX_FILE_BYTES = 64 * 1024 * 1024


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


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def parse_text(text: str) -> Any:
    """JSON with the strictness a pipeline needs: no NaN/Infinity, no duplicate keys. Raises ValueError."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except _DuplicateKey as exc:
        raise ValueError(f"invalid JSON: duplicate key '{exc}'") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, integers too long to convert
        text = str(exc)
        if "integer string conversion" in text:
            text = "a number has too many digits"
        raise ValueError(f"invalid JSON: {text.splitlines()[0] if text else type(exc).__name__}") from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; raises ValueError with a one-line reason (missing, too large, not UTF-8)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ValueError(
                f"file is too large ({size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MiB)"
            )
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a directory, not a pipeline file") from None
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
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
