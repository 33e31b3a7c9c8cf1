"""Copy, cut, paste and duplicate through the real system clipboard (as between two windows or processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nodeloom.core.file_format import node_to_dict
from nodeloom.core.model import Edge
from nodeloom.desktop.clipboard import FRAGMENT_MIME, make_fragment, parse_fragment
from nodeloom.desktop.main_window import MainWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    assert main_window.files.open_path(EXAMPLE)
    return main_window


def test_copy_puts_json_with_inner_edges_on_the_clipboard(window: MainWindow) -> None:
    window.scene.select_nodes(["train", "evaluate", "export"])
    window.actions["copy"].trigger()
    mime = QApplication.clipboard().mimeData()
    assert mime.hasFormat(FRAGMENT_MIME)
    fragment = json.loads(mime.text())
    assert json.loads(bytes(mime.data(FRAGMENT_MIME).data()).decode()) == fragment
    pipeline = window.document.pipeline
    assert fragment["nodes"] == [node_to_dict(pipeline.node(n)) for n in ("train", "evaluate", "export")]
    assert fragment["edges"] == [
        {"from": "train.model", "to": "evaluate.model"},
        {"from": "train.model", "to": "export.model"},
        {"from": "evaluate.result", "to": "export.metrics"},
    ]
    x, y = pipeline.position("train")
    assert fragment["ui"]["nodes"]["train"] == {"x": x, "y": y}


def test_paste_renames_ids_keeps_inner_edges_and_is_one_undo_step(window: MainWindow) -> None:
    doc = window.document
    before = doc.to_text()
    train_x, train_y = doc.pipeline.position("train")
    window.scene.select_nodes(["train", "evaluate"])
    window.actions["copy"].trigger()
    window.actions["paste"].trigger()
    assert window.scene.selected_node_ids() == ["train_2", "evaluate_2"]
    assert Edge("train_2", "model", "evaluate_2", "model") in doc.pipeline.edges
    assert doc.pipeline.node("train_2").params == doc.pipeline.node("train").params
    assert doc.pipeline.node("train_2").retries == 1
    # edges from outside the selection are not copied
    assert doc.pipeline.edges_into("train_2") == []
    assert doc.pipeline.position("train_2") == (train_x + 40, train_y + 40)
    window.actions["paste"].trigger()  # a second paste cascades further
    assert doc.pipeline.position("train_3") == (train_x + 80, train_y + 80)
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert doc.to_text() == before


def test_cut_then_undo_restores_exactly(window: MainWindow) -> None:
    doc = window.document
    before = doc.to_text()
    window.scene.select_nodes(["sweep"])
    window.actions["cut"].trigger()
    assert "sweep" not in doc.pipeline.nodes
    assert doc.undo_stack.undoText() == "Cut 1 node"
    assert parse_fragment(QApplication.clipboard().text())["nodes"][0]["id"] == "sweep"
    window.actions["undo"].trigger()
    assert doc.to_text() == before
    window.actions["redo"].trigger()
    window.actions["paste"].trigger()  # pasting the cut node back keeps its id: nothing clashes now
    assert "sweep" in doc.pipeline.nodes and window.scene.selected_node_ids() == ["sweep"]


def test_paste_between_windows_via_plain_text(qtbot, window: MainWindow, monkeypatch) -> None:
    window.scene.select_nodes(["data", "split"])
    window.actions["copy"].trigger()
    text = QApplication.clipboard().text()
    QApplication.clipboard().setText(text)  # what another process or a text editor would leave there
    other = MainWindow()
    qtbot.addWidget(other)
    other.actions["paste"].trigger()
    pasted = other.document.pipeline
    assert list(pasted.nodes) == ["data", "split"]
    assert pasted.edges == [Edge("data", "X", "split", "X"), Edge("data", "y", "split", "y")]
    assert pasted.node("data").params == window.document.pipeline.node("data").params


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"nodes": []}',
        '{"nodes": [{"id": "1bad", "type": "math.add"}]}',
        '{"nodes": "x"}',
        "[" * 100_000,
    ],
)
def test_garbage_on_the_clipboard_pastes_nothing(window: MainWindow, text: str) -> None:
    before = window.document.to_text()
    QApplication.clipboard().setText(text)
    assert window.edits.paste() == []
    assert window.document.to_text() == before
    assert "no Nodeloom nodes" in window.statusBar().currentMessage()


def test_parse_fragment_drops_unknown_keys_and_dangling_edges() -> None:
    text = json.dumps(
        {
            "nodes": [
                {"id": "a", "type": "math.add", "params": {"a": 1}, "bogus": 1},
                {"id": "b", "type": "math.add", "retries": 2},
            ],
            "edges": [{"from": "a.result", "to": "b.a"}, {"from": "zz.result", "to": "b.b"}],
            "ui": {"nodes": {"a": {"x": 5, "y": 6}}},
        }
    )
    fragment = parse_fragment(text)
    assert fragment is not None
    assert fragment["nodes"] == [
        {"id": "a", "type": "math.add", "params": {"a": 1}},
        {"id": "b", "type": "math.add", "retries": 2},
    ]
    assert fragment["edges"] == [{"from": "a.result", "to": "b.a"}]
    assert fragment["ui"] == {"nodes": {"a": {"x": 5.0, "y": 6.0}}}


def test_duplicate_offsets_and_selects(window: MainWindow) -> None:
    doc = window.document
    scale_x, scale_y = doc.pipeline.position("scale")
    window.scene.select_nodes(["scale"])
    window.actions["duplicate"].trigger()
    assert window.scene.selected_node_ids() == ["scale_2"]
    assert doc.pipeline.position("scale_2") == (scale_x + 40, scale_y + 40)
    assert make_fragment(doc.pipeline, ["scale_2"])["nodes"][0]["type"] == "ml.standardize"


def test_keyboard_shortcuts_on_the_canvas(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    window.scene.select_nodes(["evaluate"])
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.scene.selected_node_ids() == ["evaluate_2"]
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.scene.selected_node_ids() == ["evaluate_3"]
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert "evaluate_3" not in window.document.pipeline.nodes
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "evaluate_3" in window.document.pipeline.nodes
    qtbot.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert "evaluate_3" not in window.document.pipeline.nodes
    qtbot.keyClick(
        window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert window.document.undo_stack.canRedo() is False
