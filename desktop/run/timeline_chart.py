"""The timeline: a Gantt chart of node runs, one row per worker, growing live while nodes run.

Each attempt of a node is one bar from its start to its end (seconds since the run started), coloured
by how it ended; a running bar reaches "now" on every tick. The items of a node's `ctx.map` are bars
too, on rows of their own ("node · worker") so a map's parallel items show side by side. Bars are one BarGraphItem (one draw for
thousands of spans); node names are drawn on bars while there are few enough to read; hovering a bar
tells its node, worker, attempt, times and status.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
from nodeloom.core.vocabulary import clip
from PySide6.QtCore import QPointF
from PySide6.QtGui import QCursor, QShowEvent
from PySide6.QtWidgets import QToolTip, QVBoxLayout, QWidget

from ..theme import theme_chart
from .palette import status_color
from .run_state import RunState, Span

MAX_LABELS = 150
EMPTY_TEXT = "No run shown: bars appear here, one row per worker, while nodes run"
GROW_INTERVAL_S = 0.25
CHAR_PX = 7  # about the width of a label character, to decide whether a name fits on its bar
BAR_HEIGHT = 0.7


class TimelineChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=False, alpha=0.2)
        self.plot.setLabel("bottom", "seconds since run start")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.getPlotItem().invertY(True)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideButtons()
        self.plot.getPlotItem().getViewBox().setDefaultPadding(0.0)
        theme_chart(self.plot)
        self.bars = pg.BarGraphItem(x0=[0.0], y0=[0.0], width=[0.0], height=[0.0])
        self.bars.setVisible(False)  # pyqtgraph cannot take empty pen lists: hide instead
        self.plot.addItem(self.bars)
        self.empty_label = pg.TextItem(EMPTY_TEXT, color="#888888", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty_label, ignoreBounds=True)
        self._labels: list[pg.TextItem] = []
        self._rows: dict[str, int] = {}
        self._spans: list[Span] = []
        self._state: RunState | None = None
        self._dirty = False
        self._follow = True  # keep the whole run in view until the user zooms or pans
        self._last_refresh = 0.0
        self._geometry: tuple[list[float], list[float], list[float]] = ([], [], [])
        self.plot.getPlotItem().getViewBox().sigRangeChangedManually.connect(self._user_moved)
        self.plot.getPlotItem().getViewBox().sigXRangeChanged.connect(self._relabel)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._show_axes(False)  # no run yet: the hint, before the first refresh

    # -- data -------------------------------------------------------------------------------------------
    def show_state(self, state: RunState | None) -> None:
        self._state = state
        self._follow = True
        self.refresh()

    @property
    def bar_count(self) -> int:
        return len(self._spans)

    def tick(self, spans_changed: bool) -> None:
        """A live update: redraw when spans changed, else at most every `GROW_INTERVAL_S` (bars grow)."""
        if spans_changed or time.monotonic() - self._last_refresh >= GROW_INTERVAL_S:
            self.refresh()

    def refresh(self, now: float | None = None) -> None:
        """Redraw the bars (a handful of arrays); running bars end at `now`. Hidden: wait until shown."""
        if not self.isVisible():
            self._dirty = True
            return
        self._dirty = False
        self._last_refresh = time.monotonic()
        state = self._state
        spans = list(state.spans) if state is not None else []
        self._spans = spans
        self._show_axes(bool(spans))
        if state is None or not spans:
            self.bars.setVisible(False)
            self._set_rows([])
            self._clear_labels()
            return
        workers = state.workers()
        if list(self._rows) != workers:
            self._set_rows(workers)
        t_now = state.elapsed(now or time.time())
        x0 = [s.start for s in spans]
        widths = [max((s.end if s.end is not None else t_now) - s.start, 1e-4) for s in spans]
        y0 = [self._rows[s.worker] - BAR_HEIGHT / 2 for s in spans]
        brushes = [status_color(s.status) for s in spans]
        pens = [pg.mkPen(status_color(s.status).darker(130)) for s in spans]
        self.bars.setVisible(True)
        self.bars.setOpts(
            x0=x0, y0=y0, width=widths, height=[BAR_HEIGHT] * len(spans), brushes=brushes, pens=pens
        )
        if self._follow:
            end = max(t_now, max((s.end or 0.0) for s in spans), 0.05)
            self.plot.setXRange(min(0.0, min(x0)), end * 1.02, padding=0)
        self._geometry = (x0, widths, y0)
        self._update_labels(spans, x0, widths, y0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    @property
    def axes_shown(self) -> bool:
        return self.plot.getPlotItem().getAxis("bottom").isVisible()

    def _show_axes(self, shown: bool) -> None:
        """An empty timeline shows a hint, not a meaningless 0-1 axis."""
        item = self.plot.getPlotItem()
        for side in ("left", "bottom"):
            if shown:
                item.showAxis(side)
            else:
                item.hideAxis(side)
        item.showGrid(x=shown, y=False, alpha=0.2)
        self.empty_label.setVisible(not shown)
        if not shown:
            self.plot.setXRange(0, 1, padding=0)
            self.plot.setYRange(0, 1, padding=0)
            self.empty_label.setPos(0.5, 0.5)

    def _user_moved(self, *_args: object) -> None:
        self._follow = False  # the user zoomed or panned: stop following the run

    def _set_rows(self, workers: list[str]) -> None:
        self._rows = {w: i for i, w in enumerate(workers)}
        axis = self.plot.getAxis("left")
        axis.setTicks([[(i, _short_worker(w)) for w, i in self._rows.items()]])
        if workers:
            self.plot.setYRange(-0.6, len(workers) - 0.4, padding=0)

    def _update_labels(
        self, spans: list[Span], x0: list[float], widths: list[float], y0: list[float]
    ) -> None:
        """Name each bar wide enough on screen to hold its name (short bars tell theirs on hover)."""
        if len(spans) > MAX_LABELS:
            self._clear_labels()
            return
        while len(self._labels) < len(spans):
            label = pg.TextItem(color="#ffffff", anchor=(0, 0.5))
            self.plot.addItem(label)
            self._labels.append(label)
        while len(self._labels) > len(spans):
            self.plot.removeItem(self._labels.pop())
        units_per_px = self.plot.getPlotItem().getViewBox().viewPixelSize()[0] or 1.0
        for label, span, x, w, y in zip(self._labels, spans, x0, widths, y0, strict=True):
            text = span.title
            fits = w / units_per_px >= len(text) * CHAR_PX + 8
            label.setVisible(fits)
            if fits:
                if label.textItem.toPlainText() != text:
                    label.setText(text)
                label.setPos(x, y + BAR_HEIGHT / 2)

    def _relabel(self, *_args: object) -> None:
        if len(self._geometry[0]) == len(self._spans):
            self._update_labels(self._spans, *self._geometry)

    def _clear_labels(self) -> None:
        for label in self._labels:
            self.plot.removeItem(label)
        self._labels.clear()

    # -- hover --------------------------------------------------------------------------------------------
    def span_at(self, x: float, y: float) -> Span | None:
        state = self._state
        now = state.elapsed() if state is not None else 0.0
        for span in reversed(self._spans):
            row = self._rows.get(span.worker)
            end = span.end if span.end is not None else now
            if row is not None and abs(y - row) <= BAR_HEIGHT / 2 and span.start <= x <= end:
                return span
        return None

    def _hover(self, pos: QPointF) -> None:
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(pos)
        span = self.span_at(point.x(), point.y())
        if span is None:
            QToolTip.hideText()
            return
        end = "running" if span.end is None else f"{span.end:.3f} s"
        duration = "" if span.end is None else f"  ({span.end - span.start:.3f} s)"
        what = (
            f"{span.node_id}  item {span.subtask}" + (f" ({span.label})" if span.label else "")
            if span.subtask is not None
            else f"{span.node_id}  attempt {span.attempt}"
        )
        QToolTip.showText(
            QCursor.pos(),
            f"{what}\n{span.worker}\n{span.start:.3f} s → {end}{duration}\n{span.status}",
            self.plot,
        )


def _short_worker(name: str) -> str:
    return clip(name, 18, keep_end=True)
