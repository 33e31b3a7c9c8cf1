"""`signals_blocked`: reflect a model change in a widget without the widget echoing it back.

Panels write to the model through the document when the user edits, and re-read the model when it
changes (undo included). While re-reading they block their own widgets' signals, as napari's
`qt_signals_blocked` does, so showing a value never pushes an undo command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject


@contextmanager
def signals_blocked(*objects: QObject) -> Iterator[None]:
    previous = [obj.blockSignals(True) for obj in objects]
    try:
        yield
    finally:
        for obj, was in zip(objects, previous, strict=True):
            obj.blockSignals(was)
