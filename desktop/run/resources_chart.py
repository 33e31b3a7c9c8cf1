"""CPU and memory of the run over time: this process plus its children (process workers), via psutil.

Sampled every `interval_ms` on the GUI thread while a run is live (a sample is a few psutil calls,
well under a millisecond for a handful of processes). CPU is percent of one core, summed over the
processes (so 2 busy workers read 200 %); memory is resident set size in MB. Children are cached as
`psutil.Process` objects because `cpu_percent` measures since the previous call on the same object.
"""

from __future__ import annotations

import os
import time

import numpy as np
import psutil
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..theme import theme_chart
from .run_state import SeriesBuffer


class ProcessSampler:
    """CPU % and RSS of a process tree, measured between successive `sample()` calls."""

    def __init__(self, pid: int | None = None) -> None:
        self.root = psutil.Process(pid or os.getpid())
        self._procs: dict[int, psutil.Process] = {self.root.pid: self.root}
        self.root.cpu_percent(None)

    def sample(self) -> tuple[float, float, int]:
        """(cpu percent, memory MB, process count) of the root and its live descendants."""
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            children = []
        live = {self.root.pid: self.root}
        for child in children:
            known = self._procs.get(child.pid)
            if known is None:
                try:
                    child.cpu_percent(None)  # prime: the first reading of a new process is meaningless
                except psutil.Error:
                    continue
                known = child
            live[child.pid] = known
        self._procs = live
        cpu = 0.0
        rss = 0
        for proc in live.values():
            try:
                with proc.oneshot():
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue
        return cpu, rss / 1e6, len(live)


class ResourcesChart(QWidget):
    def __init__(self, interval_ms: int = 500, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground(None)
        self.cpu_plot = self.layout_widget.addPlot(row=0, col=0)
        self.mem_plot = self.layout_widget.addPlot(row=1, col=0)
        self.mem_plot.setXLink(self.cpu_plot)
        for plot, label in ((self.cpu_plot, "CPU %"), (self.mem_plot, "memory MB")):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("left", label)
            plot.setMenuEnabled(False)
            # both x axes in plain seconds: an automatic SI prefix once showed "ms" on one and "s" on the other
            plot.setLabel("bottom", "seconds since run start")
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            plot.getAxis("left").enableAutoSIPrefix(False)
        theme_chart(self.layout_widget)
        self.cpu_curve = self.cpu_plot.plot(
            [], [], pen=pg.mkPen("#3b82f6", width=1.6), fillLevel=0, brush=(59, 130, 246, 50)
        )
        self.mem_curve = self.mem_plot.plot(
            [], [], pen=pg.mkPen("#a855f7", width=1.6), fillLevel=0, brush=(168, 85, 247, 50)
        )
        self.status = QLabel("Sampled while a run is going (not recorded in the history).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.layout_widget, 1)
        self.cpu = SeriesBuffer()
        self.mem = SeriesBuffer()
        self._t0 = time.time()
        self._sampler: ProcessSampler | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sample)

    @property
    def sample_count(self) -> int:
        return len(self.cpu)

    @property
    def sampling(self) -> bool:
        return self._timer.isActive()

    def start(self, t0: float | None = None) -> None:
        """Begin a fresh series for a run that started at `t0` (epoch seconds)."""
        self._t0 = t0 if t0 is not None else time.time()
        self.cpu, self.mem = SeriesBuffer(), SeriesBuffer()
        self._sampler = ProcessSampler()
        self._timer.start()
        self.sample()

    def stop(self) -> None:
        if self._timer.isActive():
            self.sample()
        self._timer.stop()

    def sample(self) -> None:
        if self._sampler is None:
            return
        cpu, mem, procs = self._sampler.sample()
        t = time.time() - self._t0
        self.cpu.extend(np.array([t]), np.array([cpu]))
        self.mem.extend(np.array([t]), np.array([mem]))
        self.cpu_curve.setData(self.cpu.x, self.cpu.y)
        self.mem_curve.setData(self.mem.x, self.mem.y)
        self.status.setText(
            f"CPU {cpu:.0f} %   memory {mem:.0f} MB   {procs} process{'es' if procs != 1 else ''}"
        )
