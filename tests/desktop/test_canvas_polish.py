"""Canvas polish: big-selection drags stay linear, readable framing, badges, wires, minimap.

Gestures go through the real view: key presses through Qt's shortcut handling (qtbot.keyClick), mouse
press/move/release sent to the viewport.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from canvas_helpers import send_mouse, show_canvas
from nodeloom.desktop.canvas import edge_batch, edge_item, node_paint, style
from nodeloom.desktop.canvas.edge_item import MIN_WIRE_PX
from nodeloom.desktop.canvas.port_item import INPUT, OUTPUT
from nodeloom.desktop.canvas.scene import NodeGraphScene
from nodeloom.desktop.canvas.view import OVERVIEW_BELOW, READABLE_ZOOM, NodeGraphView
from nodeloom.desktop.document import Document
from nodeloom.desktop.main_window import MainWindow
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


def grid_pipeline(path: Path, n: int, columns: int = 20) -> Path:
    """n math.add nodes on a grid, each fed by the previous one: positions saved, edges everywhere."""
    nodes = [{"id": f"n{i}", "type": "math.add", "params": {"b": 1}} for i in range(n)]
    nodes[0]["params"] = {"a": 1, "b": 2}
    edges = [{"from": f"n{i - 1}.result", "to": f"n{i}.a"} for i in range(1, n)]
    ui = {"nodes": {f"n{i}": {"x": (i % columns) * 260.0, "y": (i // columns) * 140.0} for i in range(n)}}
    doc = {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": "grid",
        "nodes": nodes,
        "edges": edges,
        "ui": ui,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def big_window(qtbot, main_window: MainWindow, tmp_path: Path) -> MainWindow:
    main_window.resize(1200, 800)
    assert main_window.files.open_path(grid_pipeline(tmp_path / "grid.json", 300))
    main_window.view.frame_all()  # fit-all zoom: far out, edges drawn by the batch
    return main_window


def test_select_all_drag_is_one_step_and_linear_in_the_selection(qtbot, big_window, monkeypatch) -> None:
    window, scene, view, doc = big_window, big_window.scene, big_window.view, big_window.document
    assert view.zoom() < style.LOD_SIMPLE and scene.far
    rebuilds, ends = [], []
    real_rebuild, real_set_ends = edge_batch.EdgeBatchItem._rebuild, edge_item.EdgeItem.set_ends
    monkeypatch.setattr(edge_batch.EdgeBatchItem, "_rebuild", lambda s: (rebuilds.append(1), real_rebuild(s)))
    monkeypatch.setattr(
        edge_item.EdgeItem, "set_ends", lambda s, a, b: (ends.append(1), real_set_ends(s, a, b))
    )
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(scene.selected_node_ids()) == 300
    before = {n: doc.pipeline.position(n) for n in doc.pipeline.nodes}
    target = scene.node_item("n150")
    start = QPointF(view.mapFromScene(target.sceneBoundingRect().center()))
    steps = 6
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        send_mouse(view, QEvent.Type.MouseMove, start + QPointF(8 * i, 0))
    during_drag = len(ends)
    send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPointF(8 * steps, 0))
    QApplication.processEvents()
    # one undo command, every node moved by the same amount
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0) == "Move 300 nodes"
    dx = doc.pipeline.position("n0")[0] - before["n0"][0]
    assert dx > 100
    assert all(abs(doc.pipeline.position(n)[0] - before[n][0] - dx) < 1e-6 for n in before)
    # per mouse move: the edge lines regrouped once and each edge updated once (not once per moved node)
    assert len(rebuilds) <= steps + 2, rebuilds
    assert during_drag <= steps * len(doc.pipeline.edges), during_drag
    assert len(ends) - during_drag <= 2 * len(doc.pipeline.edges)  # the model's (rounded) positions: linear
    edge = scene.edge_item(next(iter(doc.pipeline.edges)))
    assert edge.line.p1() == scene.node_item(edge.edge.src).port_scene_pos(edge.edge.src_port, OUTPUT)
    assert edge.line.p2() == scene.node_item(edge.edge.dst).port_scene_pos(edge.edge.dst_port, INPUT)
    # zooming in builds the curves that were skipped while hidden
    view.set_zoom(1.0)
    assert edge.path().pointAtPercent(1.0) == edge.line.p2()
    window.actions["undo"].trigger()
    assert {n: doc.pipeline.position(n) for n in doc.pipeline.nodes} == before


def test_opening_is_readable_a_huge_pipeline_opens_as_an_overview(qtbot, main_window, tmp_path) -> None:
    window = main_window
    window.resize(1000, 700)
    assert window.files.open_path(EXAMPLE)
    window.frame_all()
    view = window.view
    fit = view.fit_zoom(view._content_rect())
    assert fit < READABLE_ZOOM  # the example does not fit this canvas at a readable zoom...
    assert view.zoom() == pytest.approx(READABLE_ZOOM)  # ...so it opens readable, from its sources
    sources = window.scene.node_item("data").sceneBoundingRect()
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(sources)
    window.actions["frame_all"].trigger()  # the explicit Frame All fits everything
    assert view.zoom() == pytest.approx(fit, rel=0.02)
    assert window.files.open_path(grid_pipeline(tmp_path / "big.json", 600))
    window.frame_all()
    assert view.zoom() < OVERVIEW_BELOW  # overview: a readable corner of 600 nodes tells nothing


def test_canvas_gets_most_of_the_window_on_first_start(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.view.width() > 0.55 * window.width(), timeout=3000)
    assert window.view.height() > 0.55 * window.height()


@pytest.fixture
def canvas(qtbot) -> tuple[Document, NodeGraphScene, NodeGraphView]:
    return show_canvas(qtbot, EXAMPLE, 1000, 700)


def test_run_badges_keep_the_title_cached_and_stale(canvas) -> None:
    doc, scene, _ = canvas
    item = scene.node_item("split")
    doc.set_node_field("split", "label", "identity_function")
    item.set_run_state("succeeded", duration_s=0.038)
    assert node_paint.title_text(item) == "identity_function"  # the badge is not on the title line
    assert node_paint.badge_text(item) == "38 ms"
    assert node_paint.status_colour(item) == QColor(style.STATUS_COLOURS["succeeded"])
    item.set_run_state("cached", duration_s=0.0)
    assert node_paint.badge_text(item) == "cached"
    item.set_run_state("succeeded", duration_s=0.0)
    item.set_stale(True)
    assert node_paint.badge_text(item) == "stale"
    assert node_paint.status_colour(item) != QColor(style.STATUS_COLOURS["succeeded"])  # no green
    assert "stale" in item.toolTip()
    image = QImage(260, 120, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.translate(20, 20)
    node_paint.paint_detail(item, painter, 1.0)
    painter.end()
    green = QColor(style.STATUS_COLOURS["succeeded"])
    assert not any(image.pixelColor(x, y) == green for x in range(260) for y in range(120))


def test_wires_are_never_hair_thin_on_screen(canvas) -> None:
    _, scene, view = canvas
    edge = scene.edge_items()[0]
    for lod in (0.46, 0.6, 0.8):
        pen = edge.pen_for(lod)
        on_screen = pen.widthF() if pen.isCosmetic() else pen.widthF() * lod
        assert on_screen >= MIN_WIRE_PX - 1e-9 or edge._extent * lod > edge_item.LONG_EDGE_PX


def test_minimap_hidden_when_empty_or_all_visible_shows_states_and_a_frame(canvas, qtbot) -> None:
    doc, scene, view = canvas
    minimap = view.minimap
    view.set_zoom(0.2)
    view.centerOn(scene.itemsBoundingRect().center())
    minimap.rebuild()
    assert not minimap.isVisible()  # everything already in view
    view.set_zoom(1.0)
    assert minimap.isVisible()
    frame = minimap.frame_rect()
    assert frame.width() >= 8 and frame.height() >= 8
    scene.node_item("train").set_run_state("failed", error="boom")
    minimap.rebuild()
    centre = minimap._transform_scale().map(scene.node_item("train").sceneBoundingRect().center())
    ratio = minimap._pixmap.devicePixelRatio()
    pixel = minimap._pixmap.toImage().pixelColor(int(centre.x() * ratio), int(centre.y() * ratio))
    assert pixel == QColor(style.STATUS_COLOURS["failed"])
    doc.delete(list(doc.pipeline.nodes))
    minimap.rebuild()
    assert not minimap.isVisible()  # empty canvas


def test_minimap_toggle_is_a_shortcut_and_remembered(qtbot, main_window, tmp_path) -> None:
    window = main_window
    assert window.files.open_path(EXAMPLE)
    window.view.set_zoom(1.5)
    window.view.minimap.rebuild()
    assert window.view.minimap.isVisible()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert not window.actions["minimap"].isChecked() and not window.view.minimap.isVisible()
    second = MainWindow()
    qtbot.addWidget(second)
    assert not second.view.minimap.wanted and not second.actions["minimap"].isChecked()
    qtbot.keyClick(window.view, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert window.view.minimap.isVisible()


def test_empty_canvas_shows_how_to_start(qtbot, main_window) -> None:
    view = main_window.view
    dim = main_window.scene.theme.text_dim

    def hint_pixels() -> int:
        image = view.viewport().grab().toImage()
        y0, y1 = image.height() // 2 - 45, image.height() // 2 + 45
        return sum(
            1
            for y in range(y0, y1, 2)
            for x in range(0, image.width(), 2)
            if abs(image.pixelColor(x, y).lightness() - dim.lightness()) < 20
        )

    assert hint_pixels() > 50
    node_id = main_window.document.add_node("math.add", (5000.0, 5000.0))  # far off-screen
    assert node_id and hint_pixels() < 5
