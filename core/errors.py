"""Errors and problems the core reports.

A `Problem` is one thing wrong with a pipeline file, tied to the file, the node and the field so the CLI
can print it on one line and the editor can outline the node. Errors that stop loading carry the
problems that stopped it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """`text` made safe for a one-line message: control characters escaped, at most `limit` characters."""
    text = _CONTROL.sub(
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), str(text)
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    node: str | None = None
    field: str | None = None
    file: str | None = None
    severity: str = "error"

    def format(self, file: str | None = None) -> str:
        """`FILE: node 'ID': message` (or `FILE: message`), always exactly one line."""
        where = file or self.file or "<pipeline>"
        if self.node is not None:
            return one_line(f"{where}: node '{self.node}': {self.message}")
        return one_line(f"{where}: {self.message}")

    def __str__(self) -> str:
        return self.format()


class NodeloomError(Exception):
    """Base class of every error the core raises on purpose (never a bug)."""


class PipelineError(NodeloomError):
    """A pipeline file cannot be loaded or is invalid; `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.format() for p in problems[:3]))


class NodeTypeError(NodeloomError):
    """A node type cannot be resolved (unknown name, unimportable module, not a function)."""
