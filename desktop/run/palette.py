"""Colours of run states in the run charts, one place so the timeline, legend and logs agree."""

from __future__ import annotations

from PySide6.QtGui import QColor

STATUS_COLORS: dict[str, str] = {
    "queued": "#9aa5b1",
    "pending": "#9aa5b1",
    "running": "#3b82f6",
    "succeeded": "#22a06b",
    "cached": "#7bb8a0",
    "failed": "#e5484d",
    "skipped": "#b0b7c3",
    "cancelled": "#f59e0b",
    "retried": "#eab308",
}

LEVEL_COLORS: dict[str, str] = {
    "debug": "#8a94a6",
    "info": "",
    "warning": "#d97706",
    "error": "#e5484d",
}


def status_color(status: str) -> QColor:
    return QColor(STATUS_COLORS.get(status, "#9aa5b1"))
