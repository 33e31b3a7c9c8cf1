"""The editor's panels against a real Document: widget -> model through typing and clicks, model -> widget
through undo/redo, and no undo command ever pushed by merely showing something."""

from __future__ import annotations

from pathlib import Path

import pytest
from nodeloom.core.model import UNSET, Edge
from nodeloom.core.node_types import PortSpec
from nodeloom.desktop.document import Document
from nodeloom.desktop.panels.inspector import Inspector
from nodeloom.desktop.panels.palette import NODE_TYPE_MIME, Palette
from nodeloom.desktop.panels.param_widgets import (
    BoolEditor,
    ChoiceEditor,
    FloatEditor,
    IntEditor,
    JsonEditor,
    PathEditor,
)
from nodeloom.desktop.panels.pipeline_panel import PipelinePanel
from nodeloom.desktop.panels.problems import ProblemsPanel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from window_helpers import type_into

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def doc(qtbot) -> Document:
    document = Document()
    document.load(EXAMPLE)
    return document


@pytest.fixture
def inspector(qtbot, doc: Document) -> Inspector:
    widget = Inspector(doc)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_form_is_generated_from_ports(inspector: Inspector) -> None:
    inspector.show_node("data")
    rows = inspector.form.rows
    assert list(rows) == ["n_samples", "n_features", "noise", "seed"]
    assert isinstance(rows["n_samples"].typed, IntEditor)
    assert (rows["n_samples"].typed.spin.minimum(), rows["n_samples"].typed.spin.maximum()) == (2, 10_000_000)
    assert isinstance(rows["noise"].typed, FloatEditor)
    assert rows["seed"].state == "bound"
    assert "$seed = 0" in rows["seed"].source.text()
    inspector.show_node("sweep")
    assert isinstance(inspector.form.rows["metric"].typed, ChoiceEditor)
    assert isinstance(inspector.form.rows["values"].typed, JsonEditor)
    assert inspector.form.rows["X_train"].state == "edge"
    assert inspector.form.rows["X_train"].source.text() == "← scale.X_train"
    assert inspector.form.rows["metric"].state == "default"
    inspector.show_node("export")
    assert isinstance(inspector.form.rows["path"].typed, PathEditor)
    assert inspector.form.rows["path"].typed.for_writing


def test_typing_into_a_spin_box_sets_the_param_and_undo_updates_the_form(qtbot, inspector, doc) -> None:
    inspector.show_node("data")
    spin = inspector.form.rows["n_samples"].typed.spin
    type_into(qtbot, spin.lineEdit(), "1234")
    assert doc.pipeline.node("data").params["n_samples"] == 1234
    float_spin = inspector.form.rows["noise"].typed.spin
    type_into(qtbot, float_spin.lineEdit(), "0.05")
    assert doc.pipeline.node("data").params["noise"] == 0.05
    assert float_spin.text() == "0.05"
    doc.undo_stack.undo()
    assert float_spin.text() == "0.3"
    doc.undo_stack.undo()
    assert spin.value() == 2000
    assert doc.pipeline.node("data").params["n_samples"] == 2000
    doc.undo_stack.redo()
    assert spin.value() == 1234


def test_reflecting_the_model_pushes_no_commands(inspector, doc) -> None:
    for node_id in doc.pipeline.nodes:
        inspector.show_node(node_id)
    doc.set_param("data", "noise", 0.7)
    doc.set_node_field("data", "retries", 3)
    inspector.show_node("data")
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.undo_stack.count() == 2
    assert doc.undo_stack.index() == 0
    assert inspector.form.retries.value() == 0


def test_reset_button_clears_the_param_and_default_shows(qtbot, inspector, doc) -> None:
    inspector.show_node("train")
    row = inspector.form.rows["learning_rate"]
    assert row.state == "set" and row.reset.isEnabled()
    qtbot.mouseClick(row.reset, Qt.MouseButton.LeftButton)
    assert "learning_rate" not in doc.pipeline.node("train").params
    assert row.state == "default"
    assert row.typed.spin.value() == pytest.approx(0.05)
    assert not row.reset.isEnabled()


def test_required_input_shows_as_required_then_set(qtbot, inspector, doc) -> None:
    node_id = doc.add_node("data.read_csv", (0, 0))
    inspector.show_node(node_id)
    row = inspector.form.rows["path"]
    assert row.state == "required"
    type_into(qtbot, row.typed.line, "data/input.csv")
    assert doc.pipeline.node(node_id).params["path"] == "data/input.csv"
    assert row.state == "set"


def test_required_int_accepts_the_value_already_shown(qtbot, inspector, doc) -> None:
    node_id = doc.add_node("math.add", (0, 0))
    inspector.show_node(node_id)
    row = inspector.form.rows["a"]
    assert row.state == "required" and row.typed.spin.value() == 0
    type_into(qtbot, row.typed.spin.lineEdit(), "0")
    assert doc.pipeline.node(node_id).params["a"] == 0


def test_json_editor_shows_parse_errors_inline_and_writes_nothing(qtbot, inspector, doc) -> None:
    inspector.show_node("sweep")
    editor = inspector.form.rows["values"].typed
    before = doc.undo_stack.count()
    type_into(qtbot, editor.line, "[0.1, 0.2")
    assert editor.has_error and "invalid JSON" in editor.error.text()
    assert doc.undo_stack.count() == before
    type_into(qtbot, editor.line, "[0.1, 0.2]")
    assert not editor.has_error
    assert doc.pipeline.node("sweep").params["values"] == [0.1, 0.2]


def test_choice_and_bool_editors(qtbot, inspector, doc) -> None:
    inspector.show_node("sweep")
    combo = inspector.form.rows["metric"].typed.combo
    combo.activated.emit(1)
    assert doc.pipeline.node("sweep").params["metric"] == "mse"
    editor = BoolEditor(PortSpec("flag", "bool", False))
    qtbot.addWidget(editor)
    seen: list[object] = []
    editor.value_edited.connect(seen.append)
    editor.set_value(True)
    assert seen == [] and editor.check.isChecked()
    editor.check.click()
    assert seen == [False]


def test_bind_to_a_new_parameter_is_one_undo_step(inspector, doc) -> None:
    inspector.show_node("train")
    row = inspector.form.rows["learning_rate"]
    row.bind_to("lr")
    assert doc.pipeline.parameters["lr"] == 0.05
    assert doc.pipeline.node("train").params["learning_rate"] == {"$param": "lr"}
    assert row.state == "bound" and row.source.text() == "$lr = 0.05"
    doc.undo_stack.undo()
    assert "lr" not in doc.pipeline.parameters
    assert doc.pipeline.node("train").params["learning_rate"] == 0.05
    assert row.state == "set"
    doc.undo_stack.redo()
    row.unbind()
    assert doc.pipeline.node("train").params["learning_rate"] == 0.05


def test_bind_menu_lists_parameters(inspector, doc) -> None:
    inspector.show_node("train")
    row = inspector.form.rows["learning_rate"]
    row.bind_menu.aboutToShow.emit()
    texts = [a.text() for a in row.bind_menu.actions()]
    assert any(t.startswith("$seed") for t in texts) and "New parameter…" in texts
    next(a for a in row.bind_menu.actions() if a.text().startswith("$epochs")).trigger()
    assert doc.pipeline.node("train").params["learning_rate"] == {"$param": "epochs"}


def test_node_options_edit_and_undo(qtbot, inspector, doc) -> None:
    inspector.show_node("train")
    form = inspector.form
    type_into(qtbot, form.label_edit, "Fit model")
    assert doc.pipeline.node("train").label == "Fit model"
    assert form.title.text() == "Fit model"
    type_into(qtbot, form.retries.lineEdit(), "3")
    assert doc.pipeline.node("train").retries == 3
    form.timeout_on.click()
    assert doc.pipeline.node("train").timeout_s is not None
    type_into(qtbot, form.timeout.lineEdit(), "90")
    assert doc.pipeline.node("train").timeout_s == 90
    form.timeout_on.click()
    assert doc.pipeline.node("train").timeout_s is None
    form.cache.click()
    form.disabled.click()
    node = doc.pipeline.node("train")
    assert (node.cache, node.disabled) == (False, True)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    node = doc.pipeline.node("train")
    assert (node.label, node.retries, node.timeout_s, node.cache, node.disabled) == (
        "Train",
        1,
        None,
        True,
        False,
    )
    assert (form.label_edit.text(), form.retries.value(), form.timeout_on.isChecked()) == ("Train", 1, False)
    assert form.cache.isChecked() and not form.disabled.isChecked()


def test_edges_and_removal_update_the_form(inspector, doc) -> None:
    inspector.show_node("train")
    row = inspector.form.rows["l2"]
    assert row.state == "edge"
    doc.disconnect([Edge("sweep", "best_l2", "train", "l2")])
    assert row.state == "default"
    doc.undo_stack.undo()
    assert row.state == "edge"
    shown: list[object] = []
    inspector.node_shown.connect(shown.append)
    doc.delete(["train"])
    assert inspector.node_id is None and shown == [None]
    doc.undo_stack.undo()
    inspector.show_node("train")
    assert shown[-1] == "train"


def test_inspector_add_tab(inspector) -> None:
    index = inspector.add_tab(QLabel("results"), "Results")
    assert inspector.tabs.tabText(index) == "Results" and inspector.tabs.count() == 2


def test_palette_filter_drag_and_double_click(qtbot, doc) -> None:
    palette = Palette(doc.registry)
    qtbot.addWidget(palette)
    assert set(palette.visible_types()) == {t.name for t in doc.registry.all()}
    qtbot.keyClicks(palette.filter, "csv read")
    assert palette.visible_types() == ["data.read_csv"]
    mime = palette.tree.mimeData([palette.item_for("data.read_csv")])
    assert bytes(mime.data(NODE_TYPE_MIME).data()).decode() == "data.read_csv"
    with qtbot.waitSignal(palette.type_activated) as blocker:
        qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert blocker.args == ["data.read_csv"]
    palette.filter.clear()
    item = palette.item_for("math.add")
    with qtbot.waitSignal(palette.type_activated) as blocker:
        palette.tree.itemDoubleClicked.emit(item, 0)
    assert blocker.args == ["math.add"]


def test_pipeline_panel_edits_and_parameter_rename_follows_references(qtbot, doc) -> None:
    panel = PipelinePanel(doc)
    qtbot.addWidget(panel)
    type_into(qtbot, panel.name, "renamed")
    assert doc.pipeline.name == "renamed"
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == ["seed", "epochs", "out"]
    panel.table.item(0, 0).setText("random_seed")
    assert list(doc.pipeline.parameters) == ["random_seed", "epochs", "out"]
    assert doc.pipeline.node("data").params["seed"] == {"$param": "random_seed"}
    assert doc.pipeline.node("split").params["seed"] == {"$param": "random_seed"}
    doc.undo_stack.undo()
    assert list(doc.pipeline.parameters) == ["seed", "epochs", "out"]
    assert doc.pipeline.node("data").params["seed"] == {"$param": "seed"}
    assert panel.table.item(0, 0).text() == "seed"
    panel.table.item(1, 1).setText("[1, 2")
    assert doc.pipeline.parameters["epochs"] == 300 and "invalid JSON" in panel.error.text()
    assert panel.table.item(1, 1).text() == "300"
    panel.table.item(1, 1).setText("42")
    assert doc.pipeline.parameters["epochs"] == 42
    panel.table.item(0, 0).setText("epochs")
    assert "cannot rename" in panel.error.text() and list(doc.pipeline.parameters)[0] == "seed"
    name = panel.add_parameter()
    assert doc.pipeline.parameters[name] is None
    panel.table.setCurrentCell(3, 0)
    panel.remove_selected()
    assert name not in doc.pipeline.parameters
    panel.description.setPlainText("new words")
    panel.flush()
    assert doc.pipeline.description == "new words"


def test_problems_panel_lists_and_activates(qtbot, doc) -> None:
    panel = ProblemsPanel(doc)
    qtbot.addWidget(panel)
    assert panel.lines() == []
    doc.set_param("train", "epochs", UNSET)
    doc.set_param("data", "noise", "loud")
    doc.validate_now()
    lines = panel.lines()
    assert lines == ["node 'data': param 'noise': expected float, got a string"]
    with qtbot.waitSignal(panel.node_activated) as blocker:
        panel.list.itemClicked.emit(panel.list.item(0))
    assert blocker.args == ["data"]
    doc.undo_stack.undo()
    doc.validate_now()
    assert panel.lines() == []


def test_multiline_strings_use_the_json_editor(inspector, doc) -> None:
    node_id = doc.add_node("text.join", (0, 0))
    inspector.show_node(node_id)
    row = inspector.form.rows["separator"]
    assert row.editor is row.json and row.json.line.text() == '"\\n"'
    doc.set_param(node_id, "separator", ", ")
    assert row.editor is row.typed and row.typed.line.text() == ", "


def test_switching_nodes_commits_a_half_typed_edit_to_the_first(qtbot, inspector, doc) -> None:
    inspector.show_node("data")
    line = inspector.form.rows["n_samples"].typed.spin.lineEdit()
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    line.selectAll()
    qtbot.keyClicks(line, "777")
    inspector.show_node("train")
    assert doc.pipeline.node("data").params["n_samples"] == 777
    assert inspector.node_id == "train"


def test_showing_the_same_node_again_keeps_the_widgets(inspector, doc) -> None:
    inspector.show_node("train")
    rows = dict(inspector.form.rows)
    doc.set_param("train", "learning_rate", 0.2)
    inspector.show_node("train")
    assert inspector.form.rows == rows
    assert rows["learning_rate"].typed.spin.value() == pytest.approx(0.2)
    inspector.show_node("train", rebuild=True)
    assert inspector.form.rows["learning_rate"] is not rows["learning_rate"]


# -- fields that do not mislead ------------------------------------------------------------------------------
def test_unset_required_float_shows_an_empty_box_marked_required(qtbot, doc: Document, inspector) -> None:
    node_id = doc.add_node("math.add", (0.0, 0.0))
    inspector.show_node(node_id)
    row = inspector.form.rows["a"]
    qtbot.waitUntil(row.typed.spin.isVisible)
    qtbot.wait(50)  # Qt re-formats a spin box when it is shown: the blank must survive that
    assert row.state == "required"
    assert row.typed.shown_text == "" and row.typed.spin.lineEdit().placeholderText() == "required"
    row.typed.spin.setFocus()
    inspector.form.label_edit.setFocus()  # focus leaving without typing writes nothing and stays blank
    assert row.typed.shown_text == "" and doc.pipeline.node(node_id).params == {}
    doc.validate_now()
    assert [p.field for p in doc.problems_of(node_id)] == ["params.a"]
    type_into(qtbot, row.typed.spin.lineEdit(), "0")  # typing the value it used to pretend to hold sets it
    assert doc.pipeline.node(node_id).params == {"a": 0.0}
    assert row.state == "set" and row.typed.shown_text == "0"


def test_empty_fan_in_input_is_not_required_and_problems_agree(qtbot, doc: Document, inspector) -> None:
    node_id = doc.add_node("math.sum", (0.0, 0.0))
    doc.validate_now()
    inspector.show_node(node_id)
    row = inspector.form.rows["values"]
    assert row.state == "empty" and row.status.text() == "empty"
    assert row.typed.line.text() == "" and row.typed.line.placeholderText() == "none: connect wires here"
    assert "d9534f" not in row.status.styleSheet()  # no red
    assert doc.problems_of(node_id) == []  # and Problems lists nothing either
    for state, listed in (("required", True), ("empty", False)):
        port_rows = [r for r in inspector.form.rows.values() if r.state == state]
        assert all(
            any(p.field == f"params.{r.port.name}" for p in doc.problems_of(node_id)) == listed
            for r in port_rows
        )


def test_long_port_names_elide_instead_of_widening_the_inspector(qtbot, doc: Document, inspector) -> None:
    from nodeloom.desktop.panels.inspector import PORT_NAME_WIDTH

    inspector.resize(320, 600)
    node_id = doc.add_node("math.add", (0.0, 0.0))
    inspector.show_node(node_id)
    (long_name,) = doc.insert_fragment(
        {"nodes": [{"id": "a_" + "very_long_" * 8, "type": "math.add", "params": {"a": 1}}]}, (0.0, 0.0)
    )
    assert len(long_name) > 50
    doc.connect(Edge(long_name, "result", node_id, "a"))
    qtbot.waitUntil(lambda: inspector.form.rows["a"].state == "edge")
    source = inspector.form.rows["a"].source
    assert source.toolTip().endswith(f"{long_name}.result")
    qtbot.waitUntil(lambda: source.shown_text().endswith("…"))  # once the layout has settled
    assert inspector.width() == 320
    assert inspector.form.minimumSizeHint().width() < 400  # the dock can stay narrow
    label = inspector.form.inputs_form.itemAt(0, inspector.form.inputs_form.ItemRole.LabelRole).widget()
    assert label.maximumWidth() == PORT_NAME_WIDTH


def test_option_ranges_come_from_the_shared_limits(inspector) -> None:
    from nodeloom.core.vocabulary import MAX_RETRIES, MAX_RETRY_DELAY_S, MAX_TIMEOUT_S

    form = inspector.form
    assert form.retries.maximum() == MAX_RETRIES
    assert form.retry_delay.maximum() == MAX_RETRY_DELAY_S
    assert form.timeout.maximum() == MAX_TIMEOUT_S
