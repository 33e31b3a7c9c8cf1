"""Closing the window during a run: ask, cancel, wait (bounded), and never hang on a node that ignores it.

One job, so the rules of leaving live in one place: a run that stops within the wait closes cleanly; a
node that ignores the cancel is abandoned only after a second question (its thread is kept referenced
until the process ends, so Qt never destroys a running QThread).
"""

from __future__ import annotations

from typing import Protocol

CLOSE_WAIT_MS = 5000


class Stoppable(Protocol):
    @property
    def running(self) -> bool: ...

    def confirm(self, question: str) -> bool: ...

    def stop(self) -> None: ...

    def wait(self, timeout_ms: int) -> bool: ...

    def ended(self) -> None: ...  # the run stopped within the wait: tidy up now

    def abandon(self) -> None: ...  # the run ignores the cancel: let it go


def close_guard(run: Stoppable, wait_ms: int = CLOSE_WAIT_MS) -> bool:
    """True when the window may close."""
    if not run.running:
        return True
    if not run.confirm("A run is going. Stop it and close?"):
        return False
    run.stop()
    if run.wait(wait_ms):
        run.ended()
        return True
    if not run.confirm("The run has not stopped yet (a node is not checking ctx.cancelled). Close anyway?"):
        return False
    run.abandon()
    return True
