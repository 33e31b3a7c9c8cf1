"""Nothing a node returns may break the editor: a value whose repr, len or shape raise is previewed as
the engine's plain description, and a table cell whose str() raises is described, not shown."""

from __future__ import annotations

from nodeloom.desktop.run.output_preview import OutputPreview
from nodeloom.desktop.run.run_state import NodeState
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QTableView


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("repr says no")

    __str__ = __repr__

    def __len__(self) -> int:
        raise RuntimeError("len says no")

    @property
    def shape(self) -> tuple[int, int]:
        raise RuntimeError("shape says no")


class BadCell:
    def __str__(self) -> str:
        raise ValueError("str says no")


def test_hostile_outputs_are_described_not_raised(qtbot) -> None:
    preview = OutputPreview()
    qtbot.addWidget(preview)
    outputs = {"bad": Hostile(), "huge": 10**5000, "cells": [{"a": BadCell()}, {"a": 2}]}
    preview.show_node("n", NodeState(status="succeeded", attempts=1), outputs, [])
    assert preview.outputs.count() == 3
    bad = preview.outputs.widget(0)
    assert isinstance(bad, QPlainTextEdit) and "Hostile" in bad.toPlainText()
    assert preview.output_titles[0].startswith("bad  (")
    huge = preview.outputs.widget(1)
    assert isinstance(huge, QPlainTextEdit) and "digits" in huge.toPlainText()
    table = preview.outputs.widget(2)
    assert isinstance(table, QTableView)
    cell = table.model().data(table.model().index(0, 0), Qt.ItemDataRole.DisplayRole)
    assert "BadCell" in cell
