"""Autosave: shortly after every edit (debounced, ~1.5 s after the last one) the document's unsaved
state is written, so a crash or kill -9 loses at most the last second or two (a 30 s period lost an
edit made 2 s before a kill). A slow periodic write stays as a safety net.

The copy goes to `nodeloom_home()/autosave/<name>-<hash of the file's path>.json`, written atomically
with the same deterministic text as a save; the folder is private (0700) and each file 0600, since a
pipeline can hold paths, parameters and inline code. It is removed when the document is saved (the undo stack
becomes clean) and on a clean close. When a file is opened (or the editor starts on an untitled
document) and an autosave newer than the file exists, the window offers to recover it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import shiboken6
from nodeloom.core.home import nodeloom_home, private_folder, write_private
from PySide6.QtCore import QObject, QTimer

from .document import Document

INTERVAL_MS = 30_000
DEBOUNCE_MS = 1_500


def autosave_path(file: Path | None) -> Path:
    """Where the autosave of `file` (None: the untitled document) lives."""
    key = str(Path(file).resolve()) if file is not None else "<untitled>"
    stem = Path(file).stem if file is not None else "untitled"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return autosave_dir() / f"{stem}-{digest}.json"


def autosave_dir() -> Path:
    """The private autosave folder (0700, see `core.home.private_folder`)."""
    return private_folder(nodeloom_home() / "autosave")


def recovery_for(file: Path | None) -> Path | None:
    """The autosave of `file` if it exists and is newer than the file (or the file is missing)."""
    candidate = autosave_path(file)
    if not candidate.is_file():
        return None
    if file is not None and Path(file).is_file() and os.path.getmtime(file) >= os.path.getmtime(candidate):
        return None
    return candidate


class Autosaver(QObject):
    def __init__(
        self, document: Document, interval_ms: int = INTERVAL_MS, debounce_ms: int = DEBOUNCE_MS
    ) -> None:
        super().__init__(document)
        self.document = document
        self.last_written: Path | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self.soon = QTimer(self, singleShot=True, interval=debounce_ms)
        self.soon.timeout.connect(self.save_now)
        # a lambda, not the bound method: the stack emits indexChanged while the document is being
        # destroyed, when PySide can no longer resolve this object's slot
        document.undo_stack.indexChanged.connect(lambda index: self._on_edit(index))
        document.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_edit(self, _index: int) -> None:
        """Every edit, undo or redo restarts the short timer: a burst of edits is written once."""
        alive = shiboken6.isValid(self) and shiboken6.isValid(self.document.undo_stack)
        if alive and self.document.dirty:
            self.soon.start()

    def stop(self) -> None:
        self.timer.stop()
        self.soon.stop()

    @property
    def path(self) -> Path:
        return autosave_path(self.document.path)

    def save_now(self) -> Path | None:
        """Write the autosave if the document is dirty; returns the file written (None if clean)."""
        if not self.document.dirty:
            return None
        target = self.path
        write_private(target, self.document.to_text())
        self.last_written = target
        return target

    def discard(self, file: Path | None = None) -> None:
        """Remove the autosave of `file` (default: the document's file)."""
        target = autosave_path(file if file is not None else self.document.path)
        target.unlink(missing_ok=True)

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self.soon.stop()
            self.discard()
