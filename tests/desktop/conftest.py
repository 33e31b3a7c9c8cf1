"""Desktop tests collect garbage on the GUI thread only, as the app does (see `desktop/app.py`).

Python's cyclic collector runs in whichever thread happens to allocate; if that is an engine or producer
thread and the garbage holds Qt objects left by an earlier test, their C++ destructors run off the GUI
thread and Qt crashes. The app disables automatic collection and collects on a GUI timer
(pyqtgraph's GarbageCollector); the tests do the same between tests.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    gc.collect()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture
def main_window(qtbot, monkeypatch: pytest.MonkeyPatch):  # -> MainWindow (imported lazily: Qt only here)
    """A shown editor window whose unsaved-changes prompt answers Discard, so teardown never blocks."""
    from nodeloom.desktop.main_window import MainWindow
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Discard)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win
