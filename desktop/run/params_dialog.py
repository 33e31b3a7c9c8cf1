"""The "Run with parameters" dialog: values of the pipeline's parameters for one run.

Each field holds a value as the CLI's `--set NAME=VALUE` reads it: JSON when it parses (`3`, `0.5`,
`true`, `[1, 2]`, `"text"`), else the plain string. Only values that differ from the file's defaults
become overrides; the file itself is not changed (edit defaults in the Pipeline panel). The engine
validates the values against the ports that use them when the run starts.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def parse_value(text: str) -> Any:
    """JSON if it parses, else the text itself (as `--set` does)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def format_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class ParamsDialog(QDialog):
    def __init__(
        self, defaults: dict[str, Any], current: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run with parameters")
        self.setMinimumWidth(380)
        self.defaults = dict(defaults)
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name, default in self.defaults.items():
            edit = QLineEdit(format_value(current.get(name, default)))
            edit.setPlaceholderText(format_value(default))
            edit.setToolTip(f"default: {format_value(default)}\nJSON, or plain text for a string")
            self.fields[name] = edit
            form.addRow(name, edit)
        note = QLabel(
            "Values for this run only; the file keeps its defaults."
            if self.defaults
            else "This pipeline has no parameters. Add some in the Pipeline panel."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setDefault(True)
        self.run_button.setEnabled(bool(self.defaults))
        reset = QPushButton("Defaults")
        reset.clicked.connect(self.reset)
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def reset(self) -> None:
        for name, edit in self.fields.items():
            edit.setText(format_value(self.defaults[name]))

    def set_text(self, name: str, text: str) -> None:
        self.fields[name].setText(text)

    def overrides(self) -> dict[str, Any]:
        """The values that differ from the defaults."""
        out: dict[str, Any] = {}
        for name, edit in self.fields.items():
            value = parse_value(edit.text())
            if value != self.defaults[name] or type(value) is not type(self.defaults[name]):
                out[name] = value
        return out
