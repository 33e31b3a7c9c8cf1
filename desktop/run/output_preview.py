"""The inspector's "Run" tab: the selected node's outputs from the last run, its logs, attempts and timing.

Real output values exist only for the run this window made last (the engine hands them back in
memory); for a run opened from the history the tab shows what the store recorded (status, attempts,
timing, error, logs) and the outputs' summaries. Each output gets a sub-tab with a table, an image
or text, chosen by `preview_models`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nodeloom.core.engine.summaries import short_summary, type_name
from nodeloom.core.events import NodeStatus
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .figure_preview import previewable
from .palette import STATUS_COLORS
from .preview_models import MAX_ROWS, TableModel, as_image, as_text, is_table, shape_text
from .run_state import LogLine, NodeState

MAX_LOG_LINES = 2000


class OutputPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outputs = QTabWidget()
        self.outputs.setDocumentMode(True)
        self.logs = QPlainTextEdit(readOnly=True)
        self.logs.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.logs.setPlaceholderText("No log lines")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.outputs)
        split.addWidget(self.logs)
        split.setSizes([300, 150])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        self.node_id: str | None = None
        self.clear()

    def clear(self, text: str = "Run the pipeline, then select a node to see its outputs here.") -> None:
        self.node_id = None
        self.header.setText(text)
        self.outputs.clear()
        self.logs.clear()

    def show_node(
        self,
        node_id: str,
        state: NodeState | None,
        outputs: dict[str, Any] | None,
        logs: list[LogLine],
        run_label: str = "",
    ) -> None:
        """Show one node's result; `outputs` are real values (None when only summaries are known)."""
        self.node_id = node_id
        self.outputs.clear()
        if state is None:
            self.header.setText(f"<b>{node_id}</b> was not part of {run_label or 'the last run'}.")
            self.logs.clear()
            return
        self.header.setText(_header_html(node_id, state, run_label))
        if outputs:
            for port, value in outputs.items():
                self.outputs.addTab(safe_preview_widget(value), f"{port}  ({_safe_shape(value)})")
        elif state.outputs:
            text = "\n".join(f"{port}: {summary}" for port, summary in state.outputs.items())
            note = "\n\n(values are kept for this window's last run only)" if outputs is None else ""
            self.outputs.addTab(_text_widget(text + note), "outputs")
        shown = logs[-MAX_LOG_LINES:]
        lines = [f"{dt.datetime.fromtimestamp(ln.time):%H:%M:%S}  {ln.level:<7} {ln.message}" for ln in shown]
        if len(logs) > len(shown):
            lines.insert(0, f"… {len(logs) - len(shown)} earlier lines in the Logs dock")
        self.logs.setPlainText("\n".join(lines))

    @property
    def output_titles(self) -> list[str]:
        return [self.outputs.tabText(i) for i in range(self.outputs.count())]


def safe_preview_widget(value: Any) -> QWidget:
    """`preview_widget`, or the engine's plain description when the value's own methods raise: nothing a
    node returns may break the editor (its repr, len, shape or cells are the node author's code)."""
    try:
        return preview_widget(value)
    except Exception:  # noqa: BLE001 - a hostile value: show what can be said without calling it
        return _text_widget(short_summary(value))


def _safe_shape(value: Any) -> str:
    try:
        return shape_text(value) or type(value).__name__
    except Exception:  # noqa: BLE001 - as in safe_preview_widget
        return type_name(value)


def preview_widget(value: Any) -> QWidget:
    """A table, an image or a text view for one output value."""
    value = previewable(value)  # a matplotlib figure as PNG bytes, a pandas Series as a frame
    image = as_image(value)
    if image is not None:
        label = QLabel()
        label.setObjectName("image_preview")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pixmap = QPixmap.fromImage(image)
        if pixmap.width() > 600:
            pixmap = pixmap.scaledToWidth(600, Qt.TransformationMode.SmoothTransformation)
        label.setPixmap(pixmap)
        label.setToolTip(f"{image.width()} x {image.height()} image")
        scroll = QScrollArea()
        scroll.setWidget(label)
        scroll.setWidgetResizable(True)
        return scroll
    if is_table(value):
        view = QTableView()
        view.setObjectName("table_preview")
        model = TableModel(value)
        model.setParent(view)
        view.setModel(model)
        view.verticalHeader().setDefaultSectionSize(20)
        if model.rows > MAX_ROWS:
            view.setToolTip(f"showing the first {MAX_ROWS:,} of {model.rows:,} rows")
        return view
    return _text_widget(as_text(value))


def _text_widget(text: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(readOnly=True)
    edit.setObjectName("text_preview")
    edit.setPlainText(text)
    return edit


def _header_html(node_id: str, state: NodeState, run_label: str) -> str:
    colour = STATUS_COLORS.get(state.status, "#888")
    parts = [f"<b>{node_id}</b> &nbsp; <span style='color:{colour}'><b>{state.status}</b></span>"]
    if state.duration_s is not None:
        parts.append(f"{state.duration_s:.3f} s")
    if state.attempts:
        parts.append(f"{state.attempts} attempt{'s' if state.attempts != 1 else ''}")
    if state.worker:
        parts.append(state.worker)
    if run_label:
        parts.append(run_label)
    html = " &nbsp;·&nbsp; ".join(parts)
    if state.status == "running" and state.fraction is not None:
        html += f"<br>{state.fraction:.0%} {_escape(state.message)}"
    if state.error:
        html += f"<br><span style='color:{STATUS_COLORS['failed']}'>{_escape(state.error)}</span>"
    reason = reason_text(state.status, state.reason)
    if reason:
        html += f"<br><i>{_escape(reason)}</i>"
    return html


def reason_text(status: str, reason: str | None) -> str:
    """The engine's reason in words that fit the status above it.

    For an executed node the engine reports why the cache could not serve it ("never run" means no
    earlier execution was recorded), which read as a contradiction under "succeeded".
    """
    if not reason:
        return ""
    if status in (NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.CANCELLED, NodeStatus.RUNNING):
        if reason == "never run":
            return "Executed: no earlier result was cached"
        return f"Executed because {reason}"
    if status == NodeStatus.CACHED:
        return f"From the cache: {reason}"
    if status == NodeStatus.SKIPPED:
        return f"Skipped: {reason}"
    return reason


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
