"""Small helpers shared by the commands: one-line errors, problem lists, plain tables."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from ..errors import Problem

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


def error(message: str) -> None:
    print(f"nodeloom: {message}", file=sys.stderr)


def print_problems(problems: Iterable[Problem], file: str) -> None:
    for p in problems:
        print(p.format(file), file=sys.stderr)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [list(map(str, r)) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
