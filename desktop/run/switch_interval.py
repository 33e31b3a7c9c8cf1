"""A shorter interpreter switch interval while a run is live in this process (threads, debug re-run).

Every Qt -> Python callback (paint, boundingRect, slots) needs the GIL. While a pure-Python node computes
on a thread of this process, each such callback can wait a whole switch interval (5 ms by default), and
one frame of the charts makes hundreds of them. 1 ms keeps frames short at a small cost in thread
switching; it applies only while a run is live and is put back after.
"""

from __future__ import annotations

import sys

LIVE_SWITCH_INTERVAL_S = 0.001


class LiveSwitchInterval:
    def __init__(self) -> None:
        self._saved: float | None = None

    def set_live(self, live: bool) -> None:
        if live and self._saved is None:
            self._saved = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved, LIVE_SWITCH_INTERVAL_S))
        elif not live and self._saved is not None:
            sys.setswitchinterval(self._saved)
            self._saved = None
