"""New, Open, Save, Save As, the unsaved-changes prompt and autosave recovery for one window.

The window keeps ONE `Document` for its lifetime: opening a file loads into it (`Document.load`), and a
new pipeline replaces its content (`Document.set_pipeline`), so every view stays wired. A file that
cannot be read at all shows a message box listing its problems, one line each (never a traceback);
a file with semantic problems opens and the Problems dock lists them. Recovering an autosave is one
undo step on top of the file as saved, so the document is dirty afterwards and undo returns to the file.
Opening runs no code from the file's folder until the user trusts it (`trust_prompt`: asked once per
folder, after the file is shown, only when its nodes need that code).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from nodeloom.core.errors import PipelineError
from nodeloom.core.file_format import load_file
from nodeloom.core.model import Pipeline
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from . import trust_prompt
from .autosave import Autosaver, recovery_for
from .recent_files import add_recent, remove_recent

if TYPE_CHECKING:
    from .main_window import MainWindow

FILE_FILTER = "Nodeloom pipelines (*.json);;All files (*)"
MAX_LISTED_PROBLEMS = 12


class FileActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.autosaver = Autosaver(self.document)

    # -- commands --------------------------------------------------------------------------------
    def may_replace(self) -> bool:
        """Whether the current content may go: every close guard agrees (a run may be asked to stop)
        and unsaved changes are saved or discarded."""
        return all(guard() for guard in list(self.window.close_guards)) and self.maybe_save()

    def new(self) -> bool:
        if not self.may_replace():
            return False
        self.document.set_pipeline(Pipeline(), None)
        self.window.document_replaced.emit(self.document)
        return True

    def open(self, path: Path | str | None = None) -> bool:
        """Ask to save unsaved changes, then open `path` (or ask for one)."""
        if not self.may_replace():
            return False
        if path is None:
            start = str(self.document.path.parent) if self.document.path else ""
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open pipeline", start, FILE_FILTER)
            if not chosen:
                return False
            path = chosen
        return self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        """Load `path` into the document without asking about unsaved changes; False on an unreadable file."""
        registry = self.document.registry
        trust_prompt.prepare(registry, path)  # before anything resolves: no untrusted import on load
        try:
            self.document.load(path)
        except PipelineError as exc:
            self.show_problems(f"Cannot open {path.name}", [p.format(str(path)) for p in exc.problems])
            if not path.exists():
                remove_recent(path)
            return False
        add_recent(path)
        self.ask_trust(path)
        self.offer_recovery(path)
        self.window.document_replaced.emit(self.document)
        QTimer.singleShot(0, self.window.frame_all)
        return True

    def ask_trust(self, path: Path) -> None:
        """If the open file needs code from its untrusted folder, ask once; re-check when trusted."""
        if trust_prompt.after_open(self.window, self.document.registry, path, self.document.problems):
            self.document.validate_now()

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        current = self.document.path
        start = str(current) if current else f"{self.document.pipeline.name or 'pipeline'}.json"
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save pipeline as", start, FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
        if path.suffix == "":
            path = path.with_suffix(".json")
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        self.window.pipeline_panel.flush()
        try:
            self.document.save(path)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.show_problems(f"Cannot save {path.name}", [f"{path}: {reason}"])
            return False
        self.autosaver.discard()
        add_recent(path)
        self.window.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current content (saved, discarded, or nothing to lose)."""
        self.window.pipeline_panel.flush()
        if not self.document.dirty:
            return True
        name = self.document.path.name if self.document.path else "the untitled pipeline"
        answer = QMessageBox.warning(
            self.window,
            "Unsaved changes",
            f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.autosaver.discard()
            return True
        return False

    # -- autosave recovery -----------------------------------------------------------------------
    def offer_recovery(self, file: Path | None) -> bool:
        """If a newer autosave of `file` exists, ask to recover it; True when it was recovered."""
        candidate = recovery_for(file)
        if candidate is None:
            return False
        when = datetime.fromtimestamp(candidate.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
        what = file.name if file is not None else "an untitled pipeline"
        answer = QMessageBox.question(
            self.window,
            "Recover unsaved changes",
            f"Nodeloom did not shut down normally (it may have crashed or been killed) while {what} "
            f"had unsaved changes. They were autosaved at {when}. Recover them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            candidate.unlink(missing_ok=True)
            return False
        result = load_file(candidate)
        if result.pipeline is None:
            candidate.unlink(missing_ok=True)
            self.show_problems("Cannot recover", [p.format(str(candidate)) for p in result.problems])
            return False
        self.replace_content(result.pipeline, "Recover autosave")
        return True

    def replace_content(self, new: Pipeline, text: str) -> None:
        """Make the document's pipeline equal to `new` as one undo step (only intent methods)."""
        self.document.replace_content(new, text)

    # -- messages --------------------------------------------------------------------------------
    def show_problems(self, title: str, lines: list[str]) -> None:
        shown = lines[:MAX_LISTED_PROBLEMS]
        if len(lines) > len(shown):
            shown.append(f"… and {len(lines) - len(shown)} more")
        QMessageBox.critical(self.window, title, "\n".join(shown))
