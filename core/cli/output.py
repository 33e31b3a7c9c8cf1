"""Small helpers shared by the commands: one-line errors, problem lists, plain tables."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from ..errors import Problem, one_line

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


MAX_PRINTED_PROBLEMS = 1000


def error(message: str) -> None:
    """One line on stderr, whatever the message holds."""
    print(f"nodeloom: {one_line(message)}", file=sys.stderr)


def print_problems(problems: Iterable[Problem], file: str, limit: int = MAX_PRINTED_PROBLEMS) -> None:
    """One line per problem; past `limit`, one line saying how many more there are."""
    problems = list(problems)
    for p in problems[:limit]:
        print(p.format(file), file=sys.stderr)
    if len(problems) > limit:
        print(one_line(f"{file}: ... and {len(problems) - limit} more problems"), file=sys.stderr)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [list(map(str, r)) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
