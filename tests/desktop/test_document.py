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
