"""Small helpers shared by the commands: one-line errors, problem lists, plain tables, terminal safety.

Everything a command prints that came from a file, a node or the run history (pipeline and node names,
type names, node ids, log lines, error messages) goes through `safe` first: an ANSI escape, another C0
or C1 control character or a bidi control (U+202E turns text around) from a stranger's pipeline must
show as visible text, never act on the terminal. `rich` escapes markup, not control characters, so the
terminal display uses `safe` too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..errors import Problem, one_line

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


MAX_PRINTED_PROBLEMS = 1000
# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates and marks,
# lone surrogates. "\n" is kept only where a caller allows several lines.
_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\n]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object, lines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`, `\\u202e`).

    With `lines`, newlines stay (a multi-line log message); otherwise they are escaped too.
    """
    return (_UNSAFE if lines else _UNSAFE_LINE).sub(_escape, str(text))


def error(message: str) -> None:
    """One line on stderr, whatever the message holds."""
    print(f"nodeloom: {safe(one_line(message))}", file=sys.stderr)


def warning(message: str) -> None:
    """One warning line on stderr."""
    print(f"nodeloom: warning: {safe(one_line(message))}", file=sys.stderr)


def print_problems(problems: Iterable[Problem], file: str, limit: int = MAX_PRINTED_PROBLEMS) -> None:
    """One line per problem; past `limit`, one line saying how many more there are."""
    problems = list(problems)
    for p in problems[:limit]:
        print(safe(p.format(file)), file=sys.stderr)
    if len(problems) > limit:
        print(safe(one_line(f"{file}: ... and {len(problems) - limit} more problems")), file=sys.stderr)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain text table (for piped output; a terminal gets `rich`'s), every cell made safe."""
    rows = [[safe(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO | None = None) -> None:
    """A table on stdout: `rich`'s on a terminal (fits the width, NO_COLOR respected), else plain text."""
    out = out or sys.stdout
    rows = [[safe(c) for c in r] for r in rows]
    if not _is_terminal(out):
        print(table(headers, rows), file=out)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(*headers, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        grid.add_row(*(Text(c) for c in row))  # Text: a "[bold]" in a node name stays text
    Console(file=out, highlight=False).print(grid)


def _is_terminal(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False
