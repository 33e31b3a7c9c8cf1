"""Opening a past run from the history, and comparing two: read the store, hand states to the views.

One job: turn run ids into `RunState`s (a damaged record becomes a one-line message, never an exception
in the editor) and ask the views to show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodeloom.core.engine import RunStore

from .run_state import RunState, run_label


class HistoryBrowser:
    def __init__(
        self,
        show: Callable[[RunState, str], None],
        compare: Callable[[list[tuple[str, RunState]]], None],
        message: Callable[[str], None],
        store_factory: Callable[[], Any] = RunStore,
    ) -> None:
        self._show, self._compare, self._message = show, compare, message
        self._store_factory = store_factory

    def open(self, run_id: str) -> bool:
        try:
            with self._store_factory() as store:
                state = RunState.from_store(store, run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged record must not break the editor
            self._message(f"Cannot open run {run_id}: {exc}")
            return False
        self._show(state, f"{run_label(state)} from the history")
        return True

    def compare(self, run_ids: list[str]) -> bool:
        try:
            with self._store_factory() as store:
                states = [RunState.from_store(store, run_id) for run_id in run_ids]
        except Exception as exc:  # noqa: BLE001
            self._message(f"Cannot compare: {exc}")
            return False
        self._compare([(run_label(s), s) for s in states])
        return True
