"""The shared shape of the run docks: a bar of controls on top, one main widget that stretches, extras below."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QLayout, QVBoxLayout, QWidget


def set_dock_body(dock: QDockWidget, bar: QLayout, main: QWidget, *below: QWidget) -> None:
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addLayout(bar)
    layout.addWidget(main, 1)
    for widget in below:
        layout.addWidget(widget)
    dock.setWidget(body)
