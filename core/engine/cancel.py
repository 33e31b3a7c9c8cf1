"""A run's cancel request, in two steps: cancel (running nodes get a grace period) and hurry (now).

`RunCancel` is a `threading.Event` (what `ctx.cancelled` reads; callers may pass a plain Event to
`run_pipeline` and simply never hurry) with one more bit. `request()` is safe to call from a signal
handler: it only sets flags, never takes the scheduler's lock, so a handler that interrupts the run's
own thread cannot deadlock it. The driver looks at the request every tick (`POLL_S`).

- `request()` (first Ctrl-C, SIGTERM, the editor's Cancel): nothing new starts; running nodes see
  `ctx.cancelled` and get `CANCEL_GRACE_S` to return before their workers are abandoned or killed.
- `request(hurry=True)` (a second Ctrl-C): the same, without the grace period: process workers are
  killed at once, threads abandoned. Either way the run ends `cancelled` with every node in a final
  state, its record written.
"""

from __future__ import annotations

import threading


class RunCancel(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.hurried = False

    def request(self, hurry: bool = False) -> None:
        """Ask the run to stop; `hurry` skips the grace period for running nodes."""
        if hurry:
            self.hurried = True
        self.set()

    def hurry(self) -> None:
        """`request(hurry=True)`: what a second Ctrl-C calls."""
        self.request(hurry=True)


def hurried(cancel: threading.Event) -> bool:
    """True once a hurried cancel was requested (a plain Event never hurries)."""
    return isinstance(cancel, RunCancel) and cancel.hurried
