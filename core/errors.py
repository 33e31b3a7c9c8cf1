"""Errors and problems the core reports.

A `Problem` is one thing wrong with a pipeline file, tied to the file, the node and the field so the CLI
can print it on one line and the editor can outline the node. Errors that stop loading carry the
problems that stopped it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    node: str | None = None
    field: str | None = None
    file: str | None = None
    severity: str = "error"

    def format(self, file: str | None = None) -> str:
        where = file or self.file or "<pipeline>"
        if self.node is not None:
            return f"{where}: node '{self.node}': {self.message}"
        return f"{where}: {self.message}"

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
