"""Autosave: while the document has unsaved changes, write it every ~30 s so a crash loses little.

The copy goes to `nodeloom_home()/autosave/<name>-<hash of the file's path>.json`, written atomically
with the same deterministic text as a save. It is removed when the document is saved (the undo stack
becomes clean) and on a clean close. When a file is opened (or the editor starts on an untitled
document) and an autosave newer than the file exists, the window offers to recover it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from nodeloom.core.atomic import atomic_write_text
from nodeloom.core.home import nodeloom_home
from PySide6.QtCore import QObject, QTimer

from .document import Document

INTERVAL_MS = 30_000


def autosave_path(file: Path | None) -> Path:
    """Where the autosave of `file` (None: the untitled document) lives."""
    key = str(Path(file).resolve()) if file is not None else "<untitled>"
    stem = Path(file).stem if file is not None else "untitled"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return nodeloom_home() / "autosave" / f"{stem}-{digest}.json"


def recovery_for(file: Path | None) -> Path | None:
    """The autosave of `file` if it exists and is newer than the file (or the file is missing)."""
    candidate = autosave_path(file)
    if not candidate.is_file():
        return None
    if file is not None and Path(file).is_file() and os.path.getmtime(file) >= os.path.getmtime(candidate):
        return None
    return candidate


class Autosaver(QObject):
    def __init__(self, document: Document, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(document)
        self.document = document
        self.last_written: Path | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        document.undo_stack.cleanChanged.connect(self._on_clean_changed)

    @property
    def path(self) -> Path:
        return autosave_path(self.document.path)

    def save_now(self) -> Path | None:
        """Write the autosave if the document is dirty; returns the file written (None if clean)."""
        if not self.document.dirty:
            return None
        target = self.path
        atomic_write_text(target, self.document.to_text())
        self.last_written = target
        return target

    def discard(self, file: Path | None = None) -> None:
        """Remove the autosave of `file` (default: the document's file)."""
        target = autosave_path(file if file is not None else self.document.path)
        target.unlink(missing_ok=True)

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self.discard()
