"""The inspector: a form for the selected node, generated from its type's ports, plus tabs others add.

The "Node" tab shows the node's type, its problems, its options (label, retries, retry delay, timeout,
cache, disabled) and one `PortRow` per input. It edits only through the `Document` and re-reads the
model on every document signal about the shown node, so undo, redo and canvas edits update it; while
reflecting, it blocks its widgets' signals. Other features (run results, logs) add tabs with `add_tab`
and follow `node_shown`.
"""

from __future__ import annotations

from nodeloom.core.errors import NodeTypeError
from nodeloom.core.model import Edge
from nodeloom.core.node_types import NodeType
from nodeloom.core.vocabulary import MAX_RETRIES, MAX_RETRY_DELAY_S, MAX_TIMEOUT_S
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..document import Document
from ..elided_label import ElidedLabel
from ..icons import themed_icon
from .backdrop_form import BackdropForm
from .param_widgets import FloatSpinBox, compact
from .port_row import PortRow
from .signals import signals_blocked

PORT_NAME_WIDTH = 130  # longer port names elide (full name in the tooltip) instead of widening the panel
DEFAULT_TIMEOUT_S = 60.0  # what the timeout box offers when "limit" is ticked on a node without one

CATEGORY_ICONS = {
    "data": "fa5s.database",
    "math": "fa5s.calculator",
    "ml": "fa5s.brain",
    "text": "fa5s.font",
    "util": "fa5s.tools",
    "python": "fa5b.python",
}


def type_icon_name(node_type: NodeType | None) -> str:
    """The qtawesome name for a node type: its own icon, else its category's, else a cube."""
    if node_type is None:
        return "fa5s.question-circle"
    return node_type.icon or CATEGORY_ICONS.get(node_type.category, "fa5s.cube")


def _tidy_seconds(value: float) -> float | int:
    value = round(float(value), 3)
    return int(value) if value == int(value) else value


class NodeForm(QWidget):
    """The generated form for one node (or a hint when none or several are selected)."""

    node_shown = Signal(object)  # node id or None, after every show_node

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.node_id: str | None = None
        self.rows: dict[str, PortRow] = {}
        outer = QVBoxLayout(self)
        self.empty = QLabel("Select one node to edit it.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.icon = QLabel()
        self.title = QLabel()
        self.title.setObjectName("inspectorTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        title_font = self.title.font()
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title.setFont(title_font)
        header.addWidget(self.icon)
        header.addWidget(self.title, 1)
        body.addLayout(header)
        self.type_label = QLabel()
        self.type_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.type_label.setWordWrap(True)
        body.addWidget(self.type_label)
        self.problems = QLabel()
        self.problems.setObjectName("inspectorProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d9534f;")
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        body.addWidget(self.problems)

        options = QGroupBox("Node")
        form = QFormLayout(options)
        self.id_label = QLabel()
        self.id_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("(the id)")
        self.retries = QSpinBox()
        self.retries.setRange(0, MAX_RETRIES)
        self.retries.setKeyboardTracking(False)
        self.retry_delay = FloatSpinBox()
        self.retry_delay.setRange(0, MAX_RETRY_DELAY_S)
        self.retry_delay.setKeyboardTracking(False)
        self.timeout_on = QCheckBox("limit")
        self.timeout = FloatSpinBox()
        self.timeout.setRange(0.001, MAX_TIMEOUT_S)
        self.timeout.setValue(DEFAULT_TIMEOUT_S)
        self.timeout.setKeyboardTracking(False)
        for spin in (self.retries, self.retry_delay, self.timeout):
            compact(spin)
        timeout_row = QHBoxLayout()
        timeout_row.addWidget(self.timeout_on)
        timeout_row.addWidget(self.timeout, 1)
        self.cache = QCheckBox("reuse cached results")
        self.disabled = QCheckBox("skip it and all downstream")
        form.addRow("Id", self.id_label)
        form.addRow("Label", self.label_edit)
        form.addRow("Retries", self.retries)
        form.addRow("Retry delay (s)", self.retry_delay)
        form.addRow("Timeout (s)", timeout_row)
        form.addRow("Cache", self.cache)
        form.addRow("Disabled", self.disabled)
        body.addWidget(options)

        self.inputs_box = QGroupBox("Inputs")
        self.inputs_form = QFormLayout(self.inputs_box)
        body.addWidget(self.inputs_box)
        self.outputs_box = QGroupBox("Outputs")
        self.outputs_label = QLabel()
        self.outputs_label.setWordWrap(True)
        QVBoxLayout(self.outputs_box).addWidget(self.outputs_label)
        body.addWidget(self.outputs_box)
        body.addStretch(1)
        outer.addWidget(self.body)

        self._option_widgets = (
            self.label_edit,
            self.retries,
            self.retry_delay,
            self.timeout_on,
            self.timeout,
            self.cache,
            self.disabled,
        )
        self.label_edit.editingFinished.connect(self._label_edited)
        self.retries.valueChanged.connect(lambda v: self._set_field("retries", int(v)))
        self.retry_delay.valueChanged.connect(lambda v: self._set_field("retry_delay_s", _tidy_seconds(v)))
        self.timeout_on.toggled.connect(self._timeout_edited)
        self.timeout.valueChanged.connect(lambda _v: self._timeout_edited())
        self.cache.toggled.connect(lambda on: self._set_field("cache", bool(on)))
        self.disabled.toggled.connect(lambda on: self._set_field("disabled", bool(on)))

        document.node_changed.connect(self._on_node_changed)
        document.node_removed.connect(self._on_node_removed)
        document.edge_added.connect(self._on_edge)
        document.edge_removed.connect(self._on_edge)
        document.pipeline_changed.connect(self._on_pipeline_changed)
        document.problems_changed.connect(self._refresh_problems)
        document.reset.connect(self._on_reset)
        self.show_node(None)

    # -- showing ---------------------------------------------------------------------------------
    def show_node(self, node_id: str | None, rebuild: bool = False) -> None:
        """Show `node_id` (None: the hint); the same node again only re-reads values unless `rebuild`."""
        if (
            node_id is not None
            and node_id == self.node_id
            and not rebuild
            and node_id in self.document.pipeline.nodes
        ):
            for row in self.rows.values():
                row.refresh()
            self._refresh_header()
            self._refresh_options()
            self._refresh_problems()
            self.node_shown.emit(node_id)
            return
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()  # commits a half-typed edit to the node it was typed for, before rebuilding
        if node_id is not None and node_id not in self.document.pipeline.nodes:
            node_id = None
        self.node_id = node_id
        self.empty.setVisible(node_id is None)
        self.body.setVisible(node_id is not None)
        self._build_rows()
        if node_id is not None:
            self._refresh_header()
            self._refresh_options()
            self._refresh_problems()
        self.node_shown.emit(node_id)

    def _node_type(self) -> NodeType | None:
        if self.node_id is None:
            return None
        try:
            return self.document.registry.get(self.document.pipeline.node(self.node_id).type)
        except NodeTypeError:
            return None

    def _build_rows(self) -> None:
        while self.inputs_form.rowCount():
            self.inputs_form.removeRow(0)
        self.rows = {}
        node_type = self._node_type()
        if self.node_id is None:
            return
        if node_type is None:
            self.inputs_form.addRow(QLabel("Unknown node type: its inputs cannot be shown."))
            self.outputs_label.setText("")
            return
        for port in node_type.inputs:
            row = PortRow(self.document, self.node_id, port, node_type.name)
            self.rows[port.name] = row
            name = ElidedLabel(port.name + (" *" if port.required else ""), max_width=PORT_NAME_WIDTH)
            name.setToolTip(row.toolTip())
            self.inputs_form.addRow(name, row)
        if not node_type.inputs:
            self.inputs_form.addRow(QLabel("No inputs."))
        self.outputs_label.setText(
            "\n".join(f"{p.name}: {p.type}" for p in node_type.outputs) or "No outputs."
        )

    def _refresh_header(self) -> None:
        assert self.node_id is not None
        node = self.document.pipeline.node(self.node_id)
        node_type = self._node_type()
        self.icon.setPixmap(themed_icon(type_icon_name(node_type)).pixmap(22, 22))
        self.title.setText(node.display_name)
        text = node.type
        if node_type is not None and node_type.description:
            text += f"\n{node_type.description}"
        self.type_label.setText(text)

    def _refresh_options(self) -> None:
        assert self.node_id is not None
        node = self.document.pipeline.node(self.node_id)
        with signals_blocked(*self._option_widgets):
            self.id_label.setText(node.id)
            if self.label_edit.text() != (node.label or ""):
                self.label_edit.setText(node.label or "")
            self.label_edit.setModified(False)
            self.retries.setValue(int(node.retries))
            self.retry_delay.setValue(float(node.retry_delay_s))
            self.timeout_on.setChecked(node.timeout_s is not None)
            self.timeout.setEnabled(node.timeout_s is not None)
            self.timeout.setValue(float(node.timeout_s) if node.timeout_s is not None else DEFAULT_TIMEOUT_S)
            self.cache.setChecked(bool(node.cache))
            self.disabled.setChecked(bool(node.disabled))

    def _on_reset(self) -> None:
        self.show_node(None)

    def _refresh_problems(self, *_args: object) -> None:
        if self.node_id is None:
            return
        found = self.document.problems_of(self.node_id)
        self.problems.setText("\n".join(p.message for p in found))
        self.problems.setVisible(bool(found))

    # -- document signals ------------------------------------------------------------------------
    def _on_node_changed(self, node_id: str, field: str) -> None:
        if node_id != self.node_id:
            return
        if field.startswith("params."):
            row = self.rows.get(field.partition(".")[2])
            if row is not None:
                row.refresh()
        elif field == "type":
            self.show_node(node_id, rebuild=True)
        else:
            self._refresh_header()
            self._refresh_options()

    def _on_node_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.show_node(None)

    def _on_edge(self, edge: Edge) -> None:
        if edge.dst == self.node_id and edge.dst_port in self.rows:
            self.rows[edge.dst_port].refresh()

    def _on_pipeline_changed(self, field: str) -> None:
        if field == "parameters":
            for row in self.rows.values():
                row.refresh()

    # -- widgets -> document ---------------------------------------------------------------------
    def _set_field(self, field: str, value: object) -> None:
        if self.node_id is not None and self.node_id in self.document.pipeline.nodes:
            self.document.set_node_field(self.node_id, field, value)

    def _label_edited(self) -> None:
        if self.label_edit.isModified():
            self.label_edit.setModified(False)
            self._set_field("label", self.label_edit.text().strip() or None)

    def _timeout_edited(self) -> None:
        on = self.timeout_on.isChecked()
        self.timeout.setEnabled(on)
        self._set_field("timeout_s", _tidy_seconds(self.timeout.value()) if on else None)


class Inspector(QWidget):
    """Tabs: "Node" (the generated form) first, then whatever `add_tab` adds (run results, logs...)."""

    node_shown = Signal(object)  # node id or None

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.form = NodeForm(document)
        self.backdrop_form = BackdropForm(document)
        self.backdrop_form.gone.connect(lambda: self.pages.setCurrentWidget(self.form))
        self.pages = QStackedWidget()
        self.pages.addWidget(self.form)
        self.pages.addWidget(self.backdrop_form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.pages)
        self.tabs.addTab(scroll, "Node")
        self.form.node_shown.connect(self.node_shown)

    @property
    def node_id(self) -> str | None:
        return self.form.node_id

    def show_node(self, node_id: str | None, rebuild: bool = False) -> None:
        self.pages.setCurrentWidget(self.form)
        self.form.show_node(node_id, rebuild)

    def show_backdrop(self, index: int | None) -> None:
        """Show the backdrop form for `index` (None: back to the node form's hint)."""
        if index is None:
            self.pages.setCurrentWidget(self.form)
            return
        self.form.show_node(None)
        self.backdrop_form.show_backdrop(index)
        shown = self.backdrop_form.index is not None  # a deleted backdrop's index shows nothing
        self.pages.setCurrentWidget(self.backdrop_form if shown else self.form)

    def add_tab(self, widget: QWidget, title: str) -> int:
        return self.tabs.addTab(widget, title)
