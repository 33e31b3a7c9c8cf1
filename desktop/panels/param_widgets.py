"""Value editors for one input port: the widget the inspector shows for a param, chosen from its PortSpec.

Every editor has the same small protocol: `set_value(v)` shows a value without emitting, `accepts(v)`
says whether this editor can show `v` faithfully (else the inspector falls back to the JSON editor),
and `value_edited(object)` fires only when the user commits an edit (Enter, focus leaving after typing,
a spin-box step, a toggle, a pick). Showing a value never emits, so reflecting the model never writes
back to it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from nodeloom.core.file_format import parse_text
from nodeloom.core.node_types import PortSpec
from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..icons import themed_icon
from .signals import signals_blocked

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
FLOAT_LIMIT = 1e15


def compact(widget: QWidget, min_width: int = 70) -> None:
    """Let a spin box shrink with the inspector instead of demanding room for its widest number."""
    widget.setMinimumWidth(min_width)
    widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)


def json_text(value: Any) -> str:
    """Compact one-line JSON of a value (what the JSON editor and parameter tables show)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


class ValueEditor(QWidget):
    value_edited = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def set_placeholder(self, text: str) -> None:  # noqa: B027 - optional for editors that show text
        """A hint shown when there is no value (only text editors have room for one)."""

    def show_unset(self) -> None:
        """Show that the input has no value at all (not JSON null, not a default 0)."""
        self.set_value(None)


class _SpinEditor(ValueEditor):
    """A number in a spin box: emits on arrow steps and on Enter, also when the typed value equals the shown one.

    Subclasses give the spin box, the Python type and the fallback shown for a value it cannot hold.
    """

    def __init__(self, spin: QSpinBox | QDoubleSpinBox) -> None:
        super().__init__()
        self.spin = spin
        spin.setKeyboardTracking(False)
        compact(spin)
        self._layout.addWidget(spin)
        self._typed = False
        spin.setProperty("blank", False)
        spin.lineEdit().textEdited.connect(self._on_typed)
        spin.valueChanged.connect(self._on_value)
        spin.editingFinished.connect(self._on_finished)

    def _current(self) -> Any:
        raise NotImplementedError

    def _fallback(self) -> Any:
        raise NotImplementedError

    def _on_typed(self) -> None:
        self._typed = True
        self.spin.setProperty("blank", False)  # from now on the box shows what is typed

    def _on_value(self, _value: object) -> None:
        self._typed = False
        self.value_edited.emit(self._current())

    def _on_finished(self) -> None:
        if self._typed:  # the user typed the value already shown (e.g. 0 for a required input)
            self._typed = False
            self.value_edited.emit(self._current())

    def set_value(self, value: Any) -> None:
        """Show a number; None (no value: a required input left unset) shows an empty box, not a fake 0.

        The blank survives Qt re-formatting the box (on show, focus-out, style change) because the spin
        box's own `textFromValue` answers "" while it is marked blank.
        """
        with signals_blocked(self.spin, self.spin.lineEdit()):
            self.spin.setProperty("blank", value is None)
            self.spin.setValue(value if self.accepts(value) else self._fallback())
            self.spin.lineEdit().setText(self.spin.textFromValue(self.spin.value()))
        self._typed = False

    def set_placeholder(self, text: str) -> None:
        self.spin.lineEdit().setPlaceholderText(text)

    @property
    def shown_text(self) -> str:
        return self.spin.lineEdit().text()


class IntSpinBox(QSpinBox):
    """A spin box that can show no number at all (see `_SpinEditor.set_value`)."""

    def textFromValue(self, value: int) -> str:  # noqa: N802 - Qt override
        return "" if self.property("blank") else super().textFromValue(value)


class IntEditor(_SpinEditor):
    def __init__(self, port: PortSpec) -> None:
        spin = IntSpinBox()
        low = math.ceil(port.minimum) if port.minimum is not None else INT_MIN
        high = math.floor(port.maximum) if port.maximum is not None else INT_MAX
        spin.setRange(max(low, INT_MIN), min(high, INT_MAX))
        spin.setAccelerated(True)
        super().__init__(spin)

    def _current(self) -> int:
        return int(self.spin.value())

    def _fallback(self) -> int:
        return max(self.spin.minimum(), 0)

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.spin.minimum() <= value <= self.spin.maximum()
        )


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.05 as `0.05` (not `0.050000`) and accepts 1e-7."""

    def __init__(self) -> None:
        super().__init__()
        self.setDecimals(12)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return "" if self.property("blank") else f"{value:.12g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if stripped in ("", "-", "+", ".", "-.", "+.") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            number = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(number):
            return QValidator.State.Invalid, text, pos
        if not self.minimum() <= number <= self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class FloatEditor(_SpinEditor):
    def __init__(self, port: PortSpec) -> None:
        spin = FloatSpinBox()
        low = port.minimum if port.minimum is not None else -FLOAT_LIMIT
        high = port.maximum if port.maximum is not None else FLOAT_LIMIT
        spin.setRange(float(low), float(high))
        spin.setSingleStep(0.01 if high - low <= 1 else 0.1)
        super().__init__(spin)

    def _current(self) -> float:
        return round(float(self.spin.value()), 12)

    def _fallback(self) -> float:
        return max(self.spin.minimum(), 0.0)

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and self.spin.minimum() <= value <= self.spin.maximum()
        )


class BoolEditor(ValueEditor):
    def __init__(self, port: PortSpec) -> None:
        super().__init__()
        self.check = QCheckBox()
        self._layout.addWidget(self.check)
        self._layout.addStretch(1)
        self.check.toggled.connect(lambda on: self.value_edited.emit(bool(on)))

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def set_value(self, value: Any) -> None:
        with signals_blocked(self.check):
            self.check.setChecked(bool(value) if isinstance(value, bool) else False)


class TextEditor(ValueEditor):
    """A string; commits on Enter or when focus leaves after an edit."""

    def __init__(self, port: PortSpec) -> None:
        super().__init__()
        self.line = QLineEdit()
        self.line.setClearButtonEnabled(False)
        self._layout.addWidget(self.line)
        self.line.editingFinished.connect(self._on_finished)

    def _on_finished(self) -> None:
        if self.line.isModified():
            self.line.setModified(False)
            self.value_edited.emit(self.line.text())

    def accepts(self, value: Any) -> bool:
        # a one-line field would silently drop line breaks: multi-line strings go to the JSON editor
        return isinstance(value, str) and "\n" not in value and "\r" not in value

    def set_value(self, value: Any) -> None:
        with signals_blocked(self.line):
            self.line.setText(value if isinstance(value, str) else "")
            self.line.setModified(False)

    def set_placeholder(self, text: str) -> None:
        self.line.setPlaceholderText(text)


class PathEditor(TextEditor):
    """A file path typed or picked; output-like nodes (write/export/save) ask for a file to write."""

    def __init__(self, port: PortSpec, for_writing: bool = False) -> None:
        super().__init__(port)
        self.for_writing = for_writing
        self.pick = QToolButton()
        self.pick.setIcon(themed_icon("fa5s.folder-open"))
        self.pick.setToolTip("Choose a file…")
        self.pick.clicked.connect(self._choose)
        self._layout.addWidget(self.pick)

    def _choose(self) -> None:
        start = self.line.text()
        if self.for_writing:
            path, _ = QFileDialog.getSaveFileName(
                self, "Choose a file", start, options=QFileDialog.Option.DontConfirmOverwrite
            )
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", start)
        if path:
            self.set_value(path)
            self.value_edited.emit(path)


class ChoiceEditor(ValueEditor):
    def __init__(self, port: PortSpec) -> None:
        super().__init__()
        self.combo = QComboBox()
        compact(self.combo)
        self.choices = tuple(port.choices or ())
        for choice in self.choices:
            self.combo.addItem(choice if isinstance(choice, str) else json_text(choice))
        self._layout.addWidget(self.combo)
        self.combo.activated.connect(lambda index: self.value_edited.emit(self.choices[index]))

    def accepts(self, value: Any) -> bool:
        return any(value == c and type(value) is type(c) for c in self.choices)

    def set_value(self, value: Any) -> None:
        with signals_blocked(self.combo):
            index = next((i for i, c in enumerate(self.choices) if c == value), -1)
            self.combo.setCurrentIndex(index)


class JsonEditor(ValueEditor):
    """Any JSON value on one line; a parse error shows under the field and nothing is written."""

    def __init__(self, port: PortSpec | None = None) -> None:
        super().__init__()
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.line = QLineEdit()
        self.line.setFont(_monospace(self.line.font()))
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()
        column.addWidget(self.line)
        column.addWidget(self.error)
        self._layout.addLayout(column)
        self.line.editingFinished.connect(self._on_finished)
        self.line.textEdited.connect(lambda _text: self.error.hide())

    def _on_finished(self) -> None:
        if not self.line.isModified():
            return
        text = self.line.text().strip()
        if not text:
            self._show_error("enter a JSON value (null for none)")
            return
        try:
            value = parse_text(text)
        except ValueError as exc:
            self._show_error(str(exc).replace("invalid JSON at line 1 ", "invalid JSON at "))
            return
        self.line.setModified(False)
        self.error.hide()
        self.value_edited.emit(value)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    @property
    def has_error(self) -> bool:
        return not self.error.isHidden()

    def accepts(self, value: Any) -> bool:
        try:
            json_text(value)
        except (TypeError, ValueError):
            return False
        return True

    def set_value(self, value: Any) -> None:
        with signals_blocked(self.line):
            self.line.setText(json_text(value) if self.accepts(value) else "")
            self.line.setModified(False)

    def show_unset(self) -> None:
        with signals_blocked(self.line):
            self.line.clear()  # empty, with the placeholder: "null" would claim a value is set
            self.line.setModified(False)
        self.error.hide()

    def set_placeholder(self, text: str) -> None:
        self.line.setPlaceholderText(text)


def _monospace(font: Any) -> Any:
    font.setStyleHint(font.StyleHint.Monospace)
    font.setFamily("monospace")
    return font


def editor_for(port: PortSpec, node_type_name: str = "") -> ValueEditor:
    """The typed editor for a port (choices, bool, int, float, path, str), else the JSON editor."""
    if port.many:
        return JsonEditor(port)
    if port.choices:
        return ChoiceEditor(port)
    if port.type == "path" or port.widget == "path":
        writing = any(word in node_type_name.lower() for word in ("write", "export", "save"))
        return PathEditor(port, for_writing=writing)
    if port.widget == "json":
        return JsonEditor(port)
    if port.type == "bool":
        return BoolEditor(port)
    if port.type == "int":
        return IntEditor(port)
    if port.type == "float":
        return FloatEditor(port)
    if port.type == "str" or port.widget == "text":
        return TextEditor(port)
    return JsonEditor(port)


__all__ = [
    "BoolEditor",
    "ChoiceEditor",
    "FloatEditor",
    "FloatSpinBox",
    "IntEditor",
    "JsonEditor",
    "PathEditor",
    "TextEditor",
    "ValueEditor",
    "compact",
    "editor_for",
    "json_text",
]
