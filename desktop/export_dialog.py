"""File > Export…: write the open pipeline as a Python script, a Prefect flow or an Airflow DAG.

A small dialog: the target, the file to write (suggested beside the pipeline file), Export. It runs the
same exporter as `nodeloom export` on the pipeline as it stands in the editor, unsaved edits included;
a `py:` node's module is looked for beside the pipeline's file, as a run does. Problems (an invalid
pipeline, a node the target cannot express, an unwritable file) are shown in the dialog, one per line,
and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nodeloom.core.atomic import atomic_write_text
from nodeloom.core.errors import PipelineError
from nodeloom.core.export import ExportError, export_pipeline
from nodeloom.core.registry import add_import_path
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from .main_window import MainWindow

TARGETS = {"python": "Python script", "prefect": "Prefect 3 flow", "airflow": "Airflow 3 DAG"}
SUFFIXES = {"python": "", "prefect": "_flow", "airflow": "_dag"}


class ExportDialog(QDialog):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Export Pipeline")
        self.setObjectName("export_dialog")
        self.document = window.document
        self.written: Path | None = None
        self.target = QComboBox()
        for key, title in TARGETS.items():
            self.target.addItem(title, key)
        self.path = QLineEdit()
        self.path.setObjectName("export_path")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Export as", self.target)
        form.addRow("File", row)
        self.problems = QLabel()
        self.problems.setObjectName("export_problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #e06c75")
        self.problems.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.target.currentIndexChanged.connect(self._suggest_path)
        self._suggested = ""
        self._suggest_path()
        self.resize(520, self.sizeHint().height())

    def _suggest_path(self) -> None:
        """A path beside the pipeline file named after it and the target, unless the user typed one."""
        if self.path.text() and self.path.text() != self._suggested:
            return
        source = self.document.path
        folder = source.parent if source else Path.cwd()
        stem = (source.stem if source else self.document.pipeline.name or "pipeline").replace("-", "_")
        self._suggested = str(folder / f"{stem}{SUFFIXES[self.target.currentData()]}.py")
        self.path.setText(self._suggested)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), "Python files (*.py)")
        if chosen:
            self.path.setText(chosen)

    def export(self) -> None:
        """Write the file and close, or show why not and stay open."""
        out = self.path.text().strip()
        if not out:
            return self._show(["choose a file to write"])
        source = self.document.path
        if source is not None:
            add_import_path(str(source.parent))
        try:
            code = export_pipeline(
                self.document.pipeline.copy(),
                self.target.currentData(),
                file=str(source) if source else None,
                out_path=out,
            )
            atomic_write_text(out, code)
        except PipelineError as exc:
            return self._show([p.format() for p in exc.problems])
        except ExportError as exc:
            return self._show([str(exc)])
        except OSError as exc:
            return self._show([f"cannot write {out}: {exc.strerror or exc}"])
        self.written = Path(out)
        self.accept()
        return None

    def _show(self, lines: list[str]) -> None:
        shown = lines[:20] + ([f"… and {len(lines) - 20} more"] if len(lines) > 20 else [])
        self.problems.setText("\n".join(shown))
        self.problems.show()


def open_export_dialog(window: MainWindow) -> ExportDialog:
    """Show the dialog (non-blocking, so tests and the event loop drive it like any window)."""
    dialog = ExportDialog(window)
    dialog.setModal(True)
    dialog.show()
    window.export_dialog = dialog  # type: ignore[attr-defined] - kept alive while shown; tests find it here
    return dialog
