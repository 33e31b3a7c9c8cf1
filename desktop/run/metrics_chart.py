"""The metrics chart: one line per (node, metric) series that nodes stream, live, with legend and hover.

Following pyqtgraph's scrolling-plots pattern: a curve is created once per series and fed with
`setData` from the GUI timer (views of the run state's NumPy buffers, no copies), with peak
downsampling and clip-to-view so 100,000-point series stay cheap. Hidden charts skip redraws and
catch up when shown. Comparing runs shows every source's series on one chart: the first run solid,
the others dashed, each labelled with its run.

Metrics of different scales (a 0-1 score beside a 0-18 loss) flatten each other on one axis, so the
user chooses the layout: a plot per metric name (the default; x axes linked, so steps line up) or
every series on one chart. The choice is remembered.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..settings import app_settings
from ..theme import retheme_chart, theme_chart
from .run_state import RunState, SeriesKey

CurveKey = tuple[int, str, str]  # (source index, node id, metric name)
REDRAW_INTERVAL_S = 0.1  # a redraw costs the GUI thread; 10 a second is smooth for a growing curve
_DASHES = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine]
PER_METRIC, SHARED = "per_metric", "shared"
LAYOUTS = {PER_METRIC: "A plot per metric", SHARED: "All on one chart"}
LAYOUT_SETTING = "charts/metrics_layout"


class MetricsChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setLabel("bottom", "step")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        theme_chart(self.plot, self.legend)
        self.crosshair = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen("#888888", style=Qt.PenStyle.DotLine)
        )
        self.crosshair.setVisible(False)
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        self.hover_label = QLabel(" ")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid = QCheckBox("Grid")
        self.grid.setToolTip("Grid lines (off by default: they cost more to draw than the curves)")
        self.grid.toggled.connect(lambda on: self.plot.showGrid(x=on, y=on, alpha=0.2))
        self.grid.toggled.connect(
            lambda on: [p.showGrid(x=on, y=on, alpha=0.2) for p in self.split_plots.values()]
        )
        self.log_y = QCheckBox("Log y")
        self.log_y.toggled.connect(self._apply_log)
        fit = QPushButton("Fit")
        fit.setToolTip("Zoom to show all points (wheel zooms, drag pans, right-drag stretches)")
        fit.clicked.connect(self.fit)
        self.layout_choice = QComboBox()
        for key, text in LAYOUTS.items():
            self.layout_choice.addItem(text, key)
        self.layout_choice.setToolTip("Metrics of different scales read best in a plot each")
        remembered = str(app_settings().value(LAYOUT_SETTING, PER_METRIC))
        self.layout_choice.setCurrentIndex(max(0, self.layout_choice.findData(remembered)))
        self.layout_choice.currentIndexChanged.connect(self._layout_changed)
        top = QHBoxLayout()
        top.addWidget(self.hover_label, 1)
        top.addWidget(self.layout_choice)
        top.addWidget(self.grid)
        top.addWidget(self.log_y)
        top.addWidget(fit)
        self.split = pg.GraphicsLayoutWidget()
        self.split.setBackground(None)
        theme_chart(self.split)
        self.split_plots: dict[str, pg.PlotItem] = {}  # metric name -> its plot (per-metric layout)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.plot)
        self.pages.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        self.empty_label = pg.TextItem(
            "No metrics yet: nodes stream them with ctx.metric(name, value)", color="#888888"
        )
        self.plot.addItem(self.empty_label, ignoreBounds=True)
        self.curves: dict[CurveKey, pg.PlotDataItem] = {}
        self._owner: dict[CurveKey, pg.PlotItem] = {}  # the plot each curve is drawn in
        self._sources: list[tuple[str, RunState]] = []
        self._dirty: set[CurveKey] = set()
        self._last_flush = 0.0
        self.plot.scene().sigMouseMoved.connect(self._hover)

    # -- data -------------------------------------------------------------------------------------------
    def show_state(self, state: RunState | None) -> None:
        self.show_sources([("", state)] if state is not None else [])

    @property
    def layout_mode(self) -> str:
        return str(self.layout_choice.currentData())

    def plot_count(self) -> int:
        """How many plots show curves now (1 on the shared chart)."""
        return len(self.split_plots) if self.layout_mode == PER_METRIC else 1

    def legend_labels(self) -> list[str]:
        """Every legend entry in the current layout (one legend per plot when split)."""
        legends = (
            [p.legend for p in self.split_plots.values()] if self.layout_mode == PER_METRIC else [self.legend]
        )
        return [label.text for legend in legends if legend is not None for _sample, label in legend.items]

    def fit(self) -> None:
        self.plot.enableAutoRange()
        for plot in self.split_plots.values():
            plot.enableAutoRange()

    def _apply_log(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        for plot in self.split_plots.values():
            plot.setLogMode(y=on)

    def _layout_changed(self) -> None:
        app_settings().setValue(LAYOUT_SETTING, self.layout_mode)
        self.show_sources(self._sources)

    def show_sources(self, sources: list[tuple[str, RunState]]) -> None:
        """Show the series of one run, or of several to compare (labels name the runs)."""
        for key, curve in self.curves.items():
            self._owner.get(key, self.plot.getPlotItem()).removeItem(curve)
        self.curves.clear()
        self._owner.clear()
        self.legend.clear()
        self.split.clear()
        self.split_plots = {}
        self.pages.setCurrentWidget(self.split if self.layout_mode == PER_METRIC else self.plot)
        self._sources = list(sources)
        for index, (_label, state) in enumerate(self._sources):
            for key in state.series:
                self._curve((index, *key))
        self._dirty = set(self.curves)
        self._flush()
        self.fit()

    def series_changed(self, keys: set[SeriesKey], source: int = 0) -> None:
        """New points arrived in these series of a source (the live run is source 0)."""
        if not self._sources or source >= len(self._sources):
            return
        for key in keys:
            self._curve((source, *key))
            self._dirty.add((source, *key))
        self.tick()

    def tick(self, force: bool = False) -> None:
        """Redraw changed series if shown and at most every `REDRAW_INTERVAL_S` (or now, with `force`)."""
        if (
            self._dirty
            and self.isVisible()
            and (force or time.monotonic() - self._last_flush >= REDRAW_INTERVAL_S)
        ):
            self._flush()

    def point_count(self, node_id: str | None = None, name: str | None = None, source: int = 0) -> int:
        """Points the chart holds for matching series (every point, before any downsampling)."""
        total = 0
        for (src, node, metric), curve in self.curves.items():
            if (
                src == source
                and node_id in (None, node)
                and name in (None, metric)
                and curve.xData is not None
            ):
                total += len(curve.xData)
        return total

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._flush()

    def _curve(self, key: CurveKey) -> pg.PlotDataItem:
        curve = self.curves.get(key)
        if curve is not None:
            return curve
        source, node_id, name = key
        label = self._sources[source][0]
        color = pg.intColor(self._color_index(node_id, name), hues=9, values=1, maxValue=230, minValue=150)
        pen = pg.mkPen(color, width=1.6, style=_DASHES[source % len(_DASHES)])
        title = f"{node_id} · {name}" + (f"  [{label}]" if label else "")
        owner = self._split_plot(name) if self.layout_mode == PER_METRIC else self.plot.getPlotItem()
        curve = owner.plot([], [], pen=pen, name=title)
        self._owner[key] = owner
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self.curves[key] = curve
        self.empty_label.setVisible(False)
        return curve

    def _split_plot(self, name: str) -> pg.PlotItem:
        """The plot of one metric name in the per-metric layout (x linked to the first, so steps align)."""
        plot = self.split_plots.get(name)
        if plot is not None:
            return plot
        plot = self.split.addPlot(row=len(self.split_plots), col=0)
        plot.setLabel("left", name)
        plot.setLabel("bottom", "step")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.addLegend(offset=(-10, 10))
        plot.setMenuEnabled(False)
        plot.showGrid(x=self.grid.isChecked(), y=self.grid.isChecked(), alpha=0.2)
        plot.setLogMode(y=self.log_y.isChecked())
        retheme_chart(self.split)
        if self.split_plots:
            plot.setXLink(next(iter(self.split_plots.values())))
        self.split_plots[name] = plot
        return plot

    def _color_index(self, node_id: str, name: str) -> int:
        """Same series, same colour in every source, so a comparison pairs lines by colour."""
        keys: list[tuple[str, str]] = []
        for _src, node, metric in self.curves:
            if (node, metric) not in keys:
                keys.append((node, metric))
        return keys.index((node_id, name)) if (node_id, name) in keys else len(keys)

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        for key in self._dirty:
            source, node_id, name = key
            buffer = self._sources[source][1].series.get((node_id, name))
            if buffer is not None:
                self.curves[key].setData(buffer.x, buffer.y)
        self._dirty.clear()
        self.empty_label.setVisible(not self.curves)
        if not self.curves:
            self.pages.setCurrentWidget(self.plot)  # the shared chart holds the "no metrics yet" hint
        elif self.layout_mode == PER_METRIC:
            self.pages.setCurrentWidget(self.split)

    # -- hover --------------------------------------------------------------------------------------------
    def _hover(self, pos: QPointF) -> None:
        view = self.plot.getPlotItem().getViewBox()
        if not self.curves or not view.sceneBoundingRect().contains(pos):
            self.crosshair.setVisible(False)
            return
        x = view.mapSceneToView(pos).x()
        self.crosshair.setPos(x)
        self.crosshair.setVisible(True)
        parts = []
        for (source, node_id, name), _curve in list(self.curves.items())[:8]:
            buffer = self._sources[source][1].series.get((node_id, name))
            if buffer is None or len(buffer) == 0:
                continue
            xs = buffer.x
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            label = self._sources[source][0]
            tag = f"{node_id}·{name}" + (f"[{label}]" if label else "")
            parts.append(f"{tag} = {buffer.y[i]:.6g} @ {xs[i]:g}")
        self.hover_label.setText("   ".join(parts) or " ")
