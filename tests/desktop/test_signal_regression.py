"""Regression guard for the PySide6 6.12.0 crash: on Python 3.11 every `Signal.emit()`
corrupted the reference count of `True`, and after a few hundred emits the interpreter aborted with
"Fatal Python error: bool_dealloc". A subprocess emits thousands of signals; it must finish normally.
"""

from __future__ import annotations

import os
import subprocess
import sys

EMITS = 5_000

SCRIPT = f"""
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Source(QObject):
    fired = Signal(int)

app = QCoreApplication(sys.argv)
source = Source()
received = []
source.fired.connect(received.append)
for i in range({EMITS}):
    source.fired.emit(i)
flags = [bool(i % 2) for i in range({EMITS})]  # exercise True/False refcounts after the emits
assert received == list(range({EMITS})), len(received)
print("ok", len(received), sum(flags))
"""


def test_thousands_of_signal_emits_do_not_abort_python() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.split() == ["ok", str(EMITS), str(EMITS // 2)]
