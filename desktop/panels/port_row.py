"""One input port in the inspector: its value editor, where the value comes from, reset and `$param` binding.

A row is in exactly one state, re-read from the model on every change (undo included):
`edge` (fed by a wire: read-only, names the source), `bound` (a `{"$param": NAME}` reference),
`set` (a literal param), `default` (no param: the port default shows greyed) or `required` (no param
and no default). Edits go through `Document.set_param`; binding to a new pipeline parameter is one undo
step (a macro adding the parameter and the reference).
"""

from __future__ import annotations

import copy
from typing import Any

from nodeloom.core.model import UNSET
from nodeloom.core.node_types import PortSpec
from nodeloom.core.vocabulary import clip, param_ref
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from ..document import Document
from ..elided_label import ElidedLabel
from ..icons import themed_icon
from .param_widgets import JsonEditor, ValueEditor, editor_for, json_text

STATES = ("edge", "bound", "set", "default", "required", "empty")


def _jsonable(value: Any) -> bool:
    try:
        json_text(value)
    except (TypeError, ValueError):
        return False
    return True


class PortRow(QWidget):
    """The editor row of one input; `state` tells which of STATES it shows."""

    def __init__(self, document: Document, node_id: str, port: PortSpec, node_type_name: str = "") -> None:
        super().__init__()
        self.document, self.node_id, self.port = document, node_id, port
        self.state = "default"
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.stack = QStackedWidget()
        self.typed: ValueEditor = editor_for(port, node_type_name)
        self.json = self.typed if isinstance(self.typed, JsonEditor) else JsonEditor(port)
        self.source = ElidedLabel(stretchy=True)  # the wire feeding the port, or the bound parameter
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source.setObjectName("portSource")
        for widget in {id(w): w for w in (self.typed, self.json, self.source)}.values():
            self.stack.addWidget(widget)
        self.typed.value_edited.connect(self._on_edited)
        if self.json is not self.typed:
            self.json.value_edited.connect(self._on_edited)
        self.status = QLabel()
        self.status.setObjectName("portStatus")
        self.status.setMinimumWidth(48)
        self.bind = QToolButton()
        self.bind.setText("$")
        self.bind.setToolTip("Bind to a pipeline parameter")
        self.bind.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.bind_menu = QMenu(self.bind)
        self.bind_menu.aboutToShow.connect(self._fill_bind_menu)
        self.bind.setMenu(self.bind_menu)
        self.reset = QToolButton()
        self.reset.setIcon(themed_icon("fa5s.undo-alt"))
        self.reset.setToolTip("Reset to the default (remove the param)")
        self.reset.clicked.connect(self.clear)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.bind)
        layout.addWidget(self.reset)
        tip = f"{port.name}: {port.type}" + (" (many)" if port.many else "")
        if port.description:
            tip += f"\n{port.description}"
        self.setToolTip(tip)
        self.refresh()

    # -- model -> widgets ------------------------------------------------------------------------
    def refresh(self) -> None:
        pipeline = self.document.pipeline
        if self.node_id not in pipeline.nodes:
            return
        node = pipeline.node(self.node_id)
        fed = pipeline.edges_into(self.node_id, self.port.name)
        value = node.params.get(self.port.name, UNSET)
        ref = param_ref(value)
        if fed:
            self.state = "edge"
            self.source.setText("← " + ", ".join(e.source for e in fed))
            self.stack.setCurrentWidget(self.source)
        elif ref is not None:
            self.state = "bound"
            bound = pipeline.parameters.get(ref, UNSET)
            shown = "undefined!" if bound is UNSET else clip(json_text(bound), 40)
            self.source.setText(f"${ref} = {shown}")
            self.stack.setCurrentWidget(self.source)
        else:
            if value is UNSET:
                # a fan-in ('many') input may stay empty, so it is not "required" (validation agrees)
                self.state = (
                    "default" if self.port.has_default else "required" if self.port.required else "empty"
                )
                shown = self.port.default if self.port.has_default else UNSET
            else:
                self.state = "set"
                shown = value
            self._show_value(shown)
        self.status.setText({"edge": "edge", "bound": "param", "set": "set"}.get(self.state, self.state))
        self.status.setProperty("state", self.state)
        self.status.setStyleSheet(_STATUS_STYLE[self.state])
        self.bind.setEnabled(self.state != "edge")
        self.reset.setEnabled(self.state in ("set", "bound"))
        font = self.font()
        font.setItalic(self.state == "default")
        self.typed.setFont(font)

    def _show_value(self, value: Any) -> None:
        if value is UNSET:
            editor = self.typed
            editor.show_unset()
            editor.set_placeholder("required" if self.state == "required" else "none: connect wires here")
        elif self.typed.accepts(value):
            editor = self.typed
            editor.set_value(value)
        else:
            editor = self.json
            editor.set_value(value if _jsonable(value) else None)
        self.stack.setCurrentWidget(editor)

    @property
    def editor(self) -> QWidget:
        """The widget showing now (typed editor, JSON editor, or the source label)."""
        return self.stack.currentWidget()

    # -- widgets -> model ------------------------------------------------------------------------
    def _alive(self) -> bool:
        return self.node_id in self.document.pipeline.nodes

    def _on_edited(self, value: Any) -> None:
        if self._alive():
            self.document.set_param(self.node_id, self.port.name, value)

    def clear(self) -> None:
        if self._alive():
            self.document.set_param(self.node_id, self.port.name, UNSET)

    def bind_to(self, name: str) -> None:
        """Bind the port to pipeline parameter `name`, creating it (from the shown value) if missing."""
        if self._alive():
            self.document.bind_param(self.node_id, self.port.name, name, self._current_literal())

    def unbind(self) -> None:
        """Replace the reference by the parameter's current value."""
        if self._alive():
            self.document.unbind_param(self.node_id, self.port.name)

    def _current_literal(self) -> Any:
        value = self.document.pipeline.node(self.node_id).params.get(self.port.name, UNSET)
        if value is UNSET or param_ref(value) is not None:
            value = self.port.default if self.port.has_default else None
        return copy.deepcopy(value) if _jsonable(value) else None

    def _fill_bind_menu(self) -> None:
        menu = self.bind_menu
        menu.clear()
        pipeline = self.document.pipeline
        if not self._alive():
            return
        current = param_ref(pipeline.node(self.node_id).params.get(self.port.name))
        names = list(pipeline.parameters)
        if names:
            menu.addSection("Bind to parameter")
        for name in names:
            action = menu.addAction(f"${name} = {clip(json_text(pipeline.parameters[name]), 30)}")
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _checked=False, n=name: self.bind_to(n))
        menu.addSeparator()
        new = menu.addAction(themed_icon("fa5s.plus"), "New parameter…")
        new.triggered.connect(self._ask_new_parameter)
        if current is not None:
            menu.addAction("Unbind (keep the value)").triggered.connect(self.unbind)

    def _ask_new_parameter(self) -> None:
        name, ok = QInputDialog.getText(self, "New parameter", "Parameter name:", text=self.suggested_name())
        name = name.strip()
        if ok and name:
            self.bind_to(name)

    def suggested_name(self) -> str:
        taken = self.document.pipeline.parameters
        name = self.port.name
        i = 2
        while name in taken:
            name = f"{self.port.name}_{i}"
            i += 1
        return name


_STATUS_STYLE = {
    "edge": "color: palette(link);",
    "bound": "color: #a06cd5; font-weight: bold;",
    "set": "font-weight: bold;",
    "default": "color: #888;",
    "required": "color: #d9534f; font-weight: bold;",
    "empty": "color: #888;",
}

__all__ = ["STATES", "PortRow"]
