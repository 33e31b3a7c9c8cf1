"""The run entries of a node's context menu: run to here, run from here, debug re-run in this process."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMenu


def add_run_entries(
    menu: QMenu,
    node_id: str,
    running: bool,
    run_to: Callable[[str], object],
    run_from: Callable[[str], object],
    debug_rerun: Callable[[str], object],
) -> None:
    menu.addSeparator()
    for text, slot in (
        ("Run to here", run_to),
        ("Run from here", run_from),
        ("Debug: re-run in this process", debug_rerun),
    ):
        act = menu.addAction(text)
        act.setEnabled(not running)
        act.triggered.connect(lambda _checked=False, s=slot: s(node_id))
