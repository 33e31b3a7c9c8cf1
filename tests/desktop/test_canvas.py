"""Canvas: the scene mirrors the document; mouse gestures on the real view become single undo steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from canvas_helpers import send_mouse, show_canvas
from nodeloom.core.model import Edge
from nodeloom.desktop.canvas.port_item import INPUT, OUTPUT
from nodeloom.desktop.canvas.scene import NodeGraphScene
from nodeloom.desktop.canvas.view import NODE_TYPE_MIME, NodeGraphView
from nodeloom.desktop.document import Document
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent, QKeyEvent
from PySide6.QtWidgets import QApplication

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def canvas(qtbot) -> tuple[Document, NodeGraphScene, NodeGraphView]:
    doc, scene, view = show_canvas(qtbot, EXAMPLE, 1200, 700)
    view.resetTransform()
    view.centerOn(QPointF(800, 100))
    return doc, scene, view


def mouse(
    view: NodeGraphView,
    kind: QEvent.Type,
    scene_pos: QPointF,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    send_mouse(view, kind, QPointF(view.mapFromScene(scene_pos)), button)


def drag(view: NodeGraphView, start: QPointF, end: QPointF) -> None:
    mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, 5):
        mouse(view, QEvent.Type.MouseMove, start + (end - start) * (i / 4))
    mouse(view, QEvent.Type.MouseButtonRelease, end)


def port_pos(scene: NodeGraphScene, node_id: str, port: str, kind: str) -> QPointF:
    item = scene.node_item(node_id)
    assert item is not None
    return item.port_scene_pos(port, kind)


def test_scene_builds_from_the_example(canvas) -> None:
    doc, scene, _view = canvas
    assert {i.node_id for i in scene.node_items()} == set(doc.pipeline.nodes)
    for edge in doc.pipeline.edges:
        assert scene.edge_item(edge) is not None
    split = scene.node_item("split")
    assert (split.pos().x(), split.pos().y()) == doc.pipeline.position("split")
    assert split.label == "Train/test split" and split.type_text == "ml.train_test_split"
    values = {p.name: p.value_text for p in split.inputs}
    assert values["test_size"] == "0.25" and values["seed"] == "$seed"  # params inline, $param as $name
    assert values["X"] == ""  # connected: no inline value


def test_palette_drop_adds_the_node_at_the_drop_point(canvas) -> None:
    doc, scene, view = canvas
    mime = QMimeData()
    mime.setData(NODE_TYPE_MIME, b"math.add")
    local = QPointF(view.mapFromScene(QPointF(700, 400)))
    event = QDropEvent(
        local, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    view.dropEvent(event)
    added = [n for n in doc.pipeline.nodes if doc.pipeline.node(n).type == "math.add"]
    assert len(added) == 1
    x, y = doc.pipeline.position(added[0])
    assert abs(x + 100 - 700) <= 2 and abs(y + 14 - 400) <= 2
    assert scene.node_item(added[0]) is not None and scene.selected_node_ids() == added
    doc.undo_stack.undo()
    assert scene.node_item(added[0]) is None


def test_port_drag_connects_in_one_undo_step(canvas) -> None:
    doc, scene, view = canvas
    doc.add_node("math.add", (600, 400))
    doc.add_node("math.add", (900, 400))
    before = doc.undo_stack.count()
    drag(view, port_pos(scene, "add", "result", OUTPUT), port_pos(scene, "add_2", "a", INPUT))
    edge = Edge("add", "result", "add_2", "a")
    assert edge in doc.pipeline.edges and scene.edge_item(edge) is not None
    assert doc.undo_stack.count() == before + 1
    assert scene.node_item("add_2").port("a", INPUT).connected
    doc.undo_stack.undo()
    assert edge not in doc.pipeline.edges and scene.edge_item(edge) is None


def test_refused_connection_shows_the_reason(canvas) -> None:
    doc, scene, view = canvas
    edges = list(doc.pipeline.edges)
    reasons: list[str] = []
    scene.connection_refused.connect(reasons.append)
    drag(view, port_pos(scene, "train", "model", OUTPUT), port_pos(scene, "evaluate", "X", INPUT))
    assert doc.pipeline.edges == edges
    assert reasons == ["dict does not fit numpy.ndarray"]
    assert scene.last_refusal == reasons[0] and scene._refusal.isVisible()
    drag(view, port_pos(scene, "evaluate", "result", OUTPUT), port_pos(scene, "split", "test_size", INPUT))
    assert "dict does not fit float" in reasons[-1]
    drag(view, port_pos(scene, "export", "result", OUTPUT), port_pos(scene, "data", "seed", INPUT))
    assert reasons[-1] == "str does not fit int"  # the type is checked before the cycle


def test_dragging_a_connected_input_picks_the_edge_up(canvas) -> None:
    doc, scene, view = canvas
    edge = Edge("train", "model", "evaluate", "model")
    drag(view, port_pos(scene, "evaluate", "model", INPUT), QPointF(1500, 600))  # dropped on nothing
    assert edge not in doc.pipeline.edges
    doc.undo_stack.undo()
    assert edge in doc.pipeline.edges
    # pick it up again and drop it on another fitting input: one reconnect step
    doc.add_node("util.log", (1250, 380))
    count = doc.undo_stack.count()
    drag(view, port_pos(scene, "evaluate", "model", INPUT), port_pos(scene, "log", "value", INPUT))
    assert edge not in doc.pipeline.edges and Edge("train", "model", "log", "value") in doc.pipeline.edges
    assert doc.undo_stack.count() == count + 1


def test_wire_dropped_on_empty_canvas_offers_only_fitting_types(canvas) -> None:
    doc, scene, view = canvas
    drag(view, port_pos(scene, "evaluate", "result", OUTPUT), QPointF(1500, 500))
    popup = view.quick_add
    assert popup.isVisible()
    entries = popup.visible_entries()
    names = {t.name for t, _p in entries}
    assert "data.write_json" in names and "math.add" not in names  # dict fits `any`, not `float`
    popup.filter("write")
    assert popup.visible_entries()[0][0].name == "data.write_json"
    count = doc.undo_stack.count()
    popup.accept_current()
    new = [n for n in doc.pipeline.nodes if doc.pipeline.node(n).type == "data.write_json"]
    assert len(new) == 1
    assert Edge("evaluate", "result", new[0], "data") in doc.pipeline.edges
    assert doc.undo_stack.count() == count + 1


def test_moving_a_node_with_the_mouse_is_one_undo_step(canvas) -> None:
    doc, scene, view = canvas
    start = doc.pipeline.position("train")
    grip = scene.node_item("train").mapToScene(QPointF(100, 12))
    count = doc.undo_stack.count()
    drag(view, grip, grip + QPointF(120, 80))
    assert doc.pipeline.position("train") == (start[0] + 120, start[1] + 80)
    assert doc.undo_stack.count() == count + 1
    edge_item = scene.edge_item(Edge("train", "model", "evaluate", "model"))
    assert edge_item.path().pointAtPercent(0) == port_pos(scene, "train", "model", OUTPUT)
    doc.undo_stack.undo()
    assert doc.pipeline.position("train") == start
    assert (scene.node_item("train").pos().x(), scene.node_item("train").pos().y()) == start


def test_grid_snap_while_dragging(canvas) -> None:
    doc, scene, view = canvas
    scene.snap_to_grid = True
    grip = scene.node_item("sweep").mapToScene(QPointF(100, 12))
    drag(view, grip, grip + QPointF(33, 27))
    x, y = doc.pipeline.position("sweep")
    assert x % 20 == 0 and y % 20 == 0


def test_delete_key_and_undo(canvas) -> None:
    doc, scene, view = canvas
    original = doc.to_text()
    scene.select_nodes(["scale"])
    scene.edge_item(Edge("train", "model", "export", "model")).setSelected(True)
    QApplication.sendEvent(
        view, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    )
    assert "scale" not in doc.pipeline.nodes and scene.node_item("scale") is None
    assert Edge("train", "model", "export", "model") not in doc.pipeline.edges
    doc.undo_stack.undo()
    assert doc.to_text() == original
    assert scene.node_item("scale") is not None and len(scene.node_items()) == 7


def test_problems_outline_the_node_with_the_message(canvas) -> None:
    doc, scene, view = canvas
    item = scene.node_item("split")
    assert item.problems == [] and item.problem_colour() is None
    doc.disconnect([Edge("data", "X", "split", "X")])
    doc.validate_now()
    assert item.problems and item.problem_colour() == scene.theme.error
    assert "X" in item.toolTip() and item.problems[0].message in item.toolTip()
    image = view.viewport().grab().toImage()
    left = view.mapFromScene(item.mapToScene(QPointF(0, item.height / 2 - 20)))
    assert image.pixelColor(left).red() > 180 and image.pixelColor(left).green() < 120


def test_run_state_changes_what_is_painted(canvas) -> None:
    _doc, scene, view = canvas
    item = scene.node_item("train")
    point = view.mapFromScene(item.mapToScene(QPointF(item.width - 15, 14)))  # the status dot
    before = view.viewport().grab().toImage().pixelColor(point)
    item.set_run_state("failed", duration_s=1.5, error="ValueError: bad input")
    assert item.run_status == "failed" and "ValueError: bad input" in item.toolTip()
    failed = view.viewport().grab().toImage().pixelColor(point)
    assert failed != before and failed.red() > 180
    item.set_run_state("running", progress=0.5, message="epoch 10")
    bar = view.mapFromScene(item.mapToScene(QPointF(item.width * 0.25, item.height - 3.5)))
    assert view.viewport().grab().toImage().pixelColor(bar).blue() > 180
    item.set_run_state(None)
    assert item.run_status is None
    with pytest.raises(ValueError):
        item.set_run_state("exploded")


def test_far_zoom_draws_plain_rectangles_and_batched_edges(canvas) -> None:
    _doc, scene, view = canvas
    view.set_zoom(0.2)
    assert scene.far and scene._edge_batch.isVisible()
    assert not scene.edge_item(Edge("data", "X", "split", "X")).isVisible()
    item = scene.node_item("data")
    view.centerOn(item)
    image = view.viewport().grab().toImage()
    centre = view.mapFromScene(item.sceneBoundingRect().center())
    from nodeloom.desktop.canvas.style import category_colour  # noqa: PLC0415 - test-local

    assert image.pixelColor(centre) == category_colour("ml")  # a plain filled rect, no text
    view.set_zoom(1.0)
    assert not scene.far and scene.edge_item(Edge("data", "X", "split", "X")).isVisible()


def test_tab_opens_fuzzy_quick_add_and_enter_adds(canvas) -> None:
    doc, _scene, view = canvas
    QApplication.sendEvent(
        view, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)
    )
    popup = view.quick_add
    assert popup.isVisible() and len(popup.visible_entries()) > 10
    popup.filter("trsp")  # beginnings of words: TRain test SPlit (ml.* and features.* both have one)
    top = popup.visible_entries()[0][0].name
    assert top.endswith(".train_test_split")
    before = sum(1 for n in doc.pipeline if n.type == top)
    QApplication.sendEvent(
        popup.search, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)
    )
    assert not popup.isVisible()
    assert sum(1 for n in doc.pipeline if n.type == top) == before + 1


def test_backdrop_groups_nodes_and_moves_them_in_one_step(canvas) -> None:
    doc, scene, view = canvas
    scene.select_nodes(["data", "split"])
    scene.group_selection("Prepare")
    assert doc.pipeline.ui["backdrops"] == [{"title": "Prepare", "nodes": ["data", "split"]}]
    backdrop = scene.backdrop_items()[0]
    assert backdrop.sceneBoundingRect().contains(scene.node_item("split").sceneBoundingRect())
    count = doc.undo_stack.count()
    before = {n: doc.pipeline.position(n) for n in ("data", "split", "scale")}
    title = backdrop.title_rect().center()
    drag(view, title, title + QPointF(0, 100))
    for member in ("data", "split"):
        assert doc.pipeline.position(member) == (before[member][0], before[member][1] + 100)
    assert doc.pipeline.position("scale") == before["scale"]  # not a member: stays
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert {n: doc.pipeline.position(n) for n in before} == before


def test_auto_layout_is_one_step_and_frame_all_reports_zoom(canvas) -> None:
    doc, scene, view = canvas
    zooms: list[float] = []
    view.zoom_changed.connect(zooms.append)
    count = doc.undo_stack.count()
    scene.auto_layout()
    assert doc.undo_stack.count() == count + 1
    rects = [i.sceneBoundingRect() for i in scene.node_items()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    view.frame_all()
    assert zooms and zooms[-1] == view.zoom()
    for rect in rects:
        assert view.mapToScene(view.viewport().rect()).boundingRect().contains(rect)


def test_context_menu_hooks_add_actions(canvas) -> None:
    _doc, scene, _view = canvas
    scene.node_context_menu_hooks.append(lambda node_id, menu: menu.addAction(f"Run to {node_id}"))
    menu = scene.build_node_menu("train")
    assert "Run to train" in [a.text() for a in menu.actions()]
    assert "Disable" in [a.text() for a in menu.actions()]


def test_disabled_node_and_stale_and_timing_markers(canvas) -> None:
    doc, scene, _view = canvas
    doc.set_node_field("evaluate", "disabled", True)
    item = scene.node_item("evaluate")
    assert item.disabled and item.opacity() < 1
    item.set_stale(True)
    item.set_timing_overlay(True, 0.4)
    assert item.stale and item.timing_visible and item.timing_fraction == 0.4
    assert item.boundingRect().bottom() >= item.height + 12  # the timing bar is inside the bounds
    scene.edge_item(Edge("train", "model", "evaluate", "model")).set_value_preview("dict(3 keys)")
    assert "dict(3 keys)" in scene.edge_item(Edge("train", "model", "evaluate", "model")).toolTip()
    assert QPoint(0, 0) is not None
