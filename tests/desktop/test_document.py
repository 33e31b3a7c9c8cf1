"""Document: every intent is one undo step over the core model; undo all restores the exact bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from nodeloom.core.errors import PipelineError
from nodeloom.core.model import UNSET, Edge
from nodeloom.desktop.document import Document

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def doc(qapp) -> Document:
    return Document.open(EXAMPLE)


def test_open_example_has_no_problems(doc: Document) -> None:
    assert doc.problems == []
    assert not doc.dirty
    assert doc.to_text() == EXAMPLE.read_text()


def test_edits_undo_to_identical_bytes_and_redo(doc: Document) -> None:
    original = doc.to_text()
    added = doc.add_node("math.add", (10.0, 20.0))
    doc.set_param(added, "a", 1.5)
    doc.set_param(added, "a", 2.5)  # merges with the previous edit
    doc.set_node_field(added, "label", "Add")
    doc.move_nodes({added: ((10.0, 20.0), (30.0, 40.0))})
    doc.delete(["split"])
    doc.set_info("name", "renamed")
    assert doc.dirty
    assert doc.undo_stack.count() == 6
    edited = doc.to_text()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.to_text() == original
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert doc.to_text() == edited
    assert doc.pipeline.node(added).params == {"a": 2.5}
    assert doc.pipeline.position(added) == (30.0, 40.0)


def test_connect_refuses_with_reasons(doc: Document) -> None:
    assert doc.connect(Edge("train", "model", "data", "seed")).reason  # dict into int
    first = doc.add_node("math.add", (0, 0))
    second = doc.add_node("math.add", (0, 0))
    assert doc.connect(Edge(first, "result", second, "a")).ok
    assert doc.connect(Edge(second, "result", first, "a")).reason == "would create a cycle"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.connect(Edge("data", "X", "split", "X")).reason == "already connected"
    assert doc.connect(Edge("data", "X", "data", "seed")).reason == "a node cannot feed itself"
    assert doc.undo_stack.index() == 0


def test_connect_to_occupied_input_replaces_in_one_step(doc: Document) -> None:
    before = doc.pipeline.edges_into("train", "X")
    check = doc.connect(Edge("split", "X_train", "train", "X"))
    assert check.ok and check.replaces == before[0]
    assert doc.pipeline.edges_into("train", "X") == [Edge("split", "X_train", "train", "X")]
    doc.undo_stack.undo()
    assert doc.pipeline.edges_into("train", "X") == before


def test_connect_drops_param_on_the_input(doc: Document) -> None:
    added = doc.add_node("math.add", (0, 0), params={"a": 1.0})
    doc.add_node("data.value", (0, 0), params={"value": 0.2})
    doc.connect(Edge("value", "result", added, "a"))
    assert "a" not in doc.pipeline.node(added).params
    doc.undo_stack.undo()
    assert doc.pipeline.node(added).params == {"a": 1.0}


def test_paste_renames_clashing_ids_and_keeps_inner_edges(doc: Document) -> None:
    fragment = {
        "nodes": [
            {"id": "data", "type": "ml.make_regression"},
            {"id": "split", "type": "ml.train_test_split"},
        ],
        "edges": [{"from": "data.X", "to": "split.X"}, {"from": "data.y", "to": "split.y"}],
        "ui": {"nodes": {"data": {"x": 0, "y": 0}}},
    }
    new = doc.insert_fragment(fragment)
    assert len(new) == 2 and not set(new) & {"data", "split"}
    assert Edge(new[0], "X", new[1], "X") in doc.pipeline.edges
    assert doc.pipeline.position(new[0]) == (40.0, 40.0)
    doc.undo_stack.undo()
    assert not set(new) & set(doc.pipeline.nodes)


def test_problems_follow_edits(doc: Document, qtbot) -> None:
    doc.set_param("data", "n_samples", UNSET)
    doc.delete([], [Edge("data", "X", "split", "X")])
    with qtbot.waitSignal(doc.problems_changed, timeout=2000):
        pass
    assert [p.node for p in doc.problems] == ["split"]
    doc.undo_stack.undo()
    doc.validate_now()
    assert doc.problems == []


def test_save_is_atomic_and_marks_clean(doc: Document, tmp_path: Path) -> None:
    doc.set_info("description", "changed")
    target = tmp_path / "copy.json"
    doc.save(target)
    assert not doc.dirty and doc.path == target
    assert Document.open(target).to_text() == target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["copy.json"]


def test_open_unreadable_file_raises_pipeline_error(tmp_path: Path, qapp) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PipelineError, match="line 1 column 2"):
        Document.open(bad)


# -- composite intents: each one undo step, undo restores the exact bytes ---------------------------------
def _undo_restores(doc: Document, before: str, steps: int = 1) -> None:
    assert doc.undo_stack.count() == steps
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.to_text() == before


def test_delete_nodes_edges_and_backdrops_is_one_step(doc: Document) -> None:
    first = doc.add_backdrop(["data", "split"], "Prepare")
    second = doc.add_backdrop(["train"], "Model")
    assert (first, second) == (0, 1)
    doc.undo_stack.clear()
    before = doc.to_text()
    doc.delete(["split"], backdrops=[1])
    assert [b.title for b in doc.pipeline.backdrops()] == ["Prepare"]
    assert doc.pipeline.backdrop(0).nodes == ["data"]  # the deleted node left the backdrop that stays
    assert doc.undo_stack.undoText() == "Delete selection"
    _undo_restores(doc, before)


def test_delete_only_a_backdrop_keeps_its_nodes(doc: Document) -> None:
    doc.add_backdrop(["data"], "Inputs")
    doc.undo_stack.clear()
    before, nodes = doc.to_text(), list(doc.pipeline.nodes)
    doc.delete(backdrops=[0])
    assert doc.pipeline.backdrops() == [] and "backdrops" not in doc.pipeline.ui
    assert list(doc.pipeline.nodes) == nodes
    assert doc.undo_stack.undoText() == "Delete 1 backdrop"
    _undo_restores(doc, before)


def test_rename_backdrop_refuses_blank_and_undoes(doc: Document) -> None:
    doc.add_backdrop(["data"], "Inputs")
    doc.undo_stack.clear()
    before = doc.to_text()
    assert not doc.rename_backdrop(0, "   ")
    assert not doc.rename_backdrop(3, "Nope")
    assert doc.rename_backdrop(0, " Raw data ")
    assert doc.pipeline.backdrop(0).title == "Raw data"
    _undo_restores(doc, before)


def test_backdrop_unknown_keys_survive_edits(qapp) -> None:
    from nodeloom.core.model import Pipeline

    pipeline = Pipeline(ui={"backdrops": [{"title": "A", "nodes": [], "color": "#ff0000", "z": 3}]})
    doc = Document(pipeline)
    assert doc.rename_backdrop(0, "B")
    assert doc.pipeline.ui["backdrops"] == [{"title": "B", "nodes": [], "color": "#ff0000", "z": 3}]


def test_rename_parameter_rewrites_references_in_one_step(doc: Document) -> None:
    doc.bind_param("data", "seed", "seed", 7)
    doc.bind_param("split", "seed", "seed")
    doc.undo_stack.clear()
    before = doc.to_text()
    order = list(doc.pipeline.parameters)
    assert doc.rename_parameter("seed", "random_state") is None
    assert list(doc.pipeline.parameters) == [("random_state" if k == "seed" else k) for k in order]
    assert doc.pipeline.node("data").params["seed"] == {"$param": "random_state"}
    assert doc.pipeline.node("split").params["seed"] == {"$param": "random_state"}
    _undo_restores(doc, before)


@pytest.mark.parametrize("new", ["", "two words", "taken"])
def test_rename_parameter_refusals_say_why(doc: Document, new: str) -> None:
    doc.set_info("parameters", {**doc.pipeline.parameters, "a": 1, "taken": 2})
    count = doc.undo_stack.count()
    reason = doc.rename_parameter("a", new)
    assert reason is not None and "cannot rename 'a'" in reason
    assert doc.undo_stack.count() == count
    assert doc.rename_parameter("missing", "b") == "cannot rename 'missing': no such parameter"


def test_bind_creates_the_parameter_and_unbind_keeps_the_value(doc: Document) -> None:
    before = doc.to_text()
    doc.bind_param("data", "seed", "fresh_seed", 11)
    assert doc.pipeline.parameters["fresh_seed"] == 11
    assert doc.pipeline.node("data").params["seed"] == {"$param": "fresh_seed"}
    assert doc.undo_stack.count() == 1
    assert doc.unbind_param("data", "seed")
    assert doc.pipeline.node("data").params["seed"] == 11
    assert not doc.unbind_param("data", "seed")  # not bound any more
    _undo_restores(doc, before, steps=2)


def test_add_and_connect_is_one_step(doc: Document) -> None:
    before = doc.to_text()
    node_id, check = doc.add_and_connect("math.add", (500.0, 0.0), "a", ("data", "seed"), new_is_target=False)
    assert not check.ok and check.reason  # 'a' is an input: refused, the node stays, still one step
    assert node_id in doc.pipeline.nodes and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.to_text() == before
    first = doc.add_node("math.add", (0.0, 0.0))
    doc.undo_stack.clear()
    mid = doc.to_text()
    node_id, check = doc.add_and_connect("math.add", (300.0, 0.0), "a", (first, "result"), new_is_target=True)
    assert check.ok and Edge(first, "result", node_id, "a") in doc.pipeline.edges
    assert doc.undo_stack.undoText() == "Add add and connect"
    _undo_restores(doc, mid)


def test_reconnect_moves_a_wire_in_one_step_or_not_at_all(doc: Document) -> None:
    a = doc.add_node("math.add", (0.0, 0.0))
    b = doc.add_node("math.add", (200.0, 0.0))
    doc.connect(Edge(a, "result", b, "a"))
    doc.undo_stack.clear()
    before = doc.to_text()
    assert doc.reconnect(Edge(a, "result", b, "a"), Edge(a, "result", b, "b")).ok
    assert doc.pipeline.edges_into(b) == [Edge(a, "result", b, "b")]
    assert doc.undo_stack.count() == 1
    assert not doc.reconnect(Edge(a, "result", b, "b"), Edge(b, "result", a, "a")).ok  # a cycle
    assert doc.undo_stack.count() == 1
    _undo_restores(doc, before)


def test_replace_content_is_one_step(doc: Document) -> None:
    from nodeloom.core.file_format import load_file

    before = doc.to_text()
    other = load_file(EXAMPLE).pipeline
    other.set_info("name", "other")
    other.remove_edge(other.edges[0])
    doc.replace_content(other, "Revert")
    assert doc.pipeline.name == "other" and len(doc.pipeline.edges) == len(other.edges)
    assert doc.undo_stack.undoText() == "Revert"
    _undo_restores(doc, before)


def test_no_macro_is_assembled_outside_the_document() -> None:
    """Composite edits live in Document intents; a widget calling beginMacro re-creates the old duplication."""
    root = Path(__file__).parents[2] / "desktop"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "beginMacro" in p.read_text() and p.name not in ("document.py", "commands.py")
    ]
    assert offenders == []
