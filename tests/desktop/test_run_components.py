"""The run views on their own, fed with event streams built here (the engine is exercised end to end in
test_run_controller.py): coalescing, the run state, the charts, the logs dock, the output preview and
the parameters dialog."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from nodeloom.core.events import (
    NodeFinished,
    NodeLog,
    NodeMetric,
    NodeProgress,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
)
from nodeloom.desktop.run.event_bridge import EventBridge, coalesce
from nodeloom.desktop.run.logs_dock import LogsDock
from nodeloom.desktop.run.metrics_chart import MetricsChart
from nodeloom.desktop.run.output_preview import OutputPreview
from nodeloom.desktop.run.params_dialog import ParamsDialog
from nodeloom.desktop.run.preview_models import TableModel, as_image
from nodeloom.desktop.run.resources_chart import ResourcesChart
from nodeloom.desktop.run.run_state import RunState
from nodeloom.desktop.run.timeline_chart import TimelineChart
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QScrollArea, QTableView

T0 = 1000.0


def run_events(n_metrics: int = 100) -> list:
    events: list = [RunStarted("r1", T0, "demo", ("a", "b"), "threads", 2)]
    events.append(NodeStarted("r1", T0 + 0.1, "a", 1, "thread-1"))
    for i in range(n_metrics):
        events.append(NodeMetric("r1", T0 + 0.2, "a", "loss", float(i), 1.0 / (i + 1)))
        events.append(NodeProgress("r1", T0 + 0.2, "a", (i + 1) / n_metrics, f"step {i}"))
    events.append(NodeLog("r1", T0 + 0.3, "a", "info", "hello from a"))
    events.append(NodeFinished("r1", T0 + 0.5, "a", NodeStatus.SUCCEEDED, 0.4, 1, outputs={"result": "3"}))
    events.append(NodeStarted("r1", T0 + 0.5, "b", 1, "thread-2"))
    events.append(NodeLog("r1", T0 + 0.6, "b", "error", "boom"))
    events.append(NodeFinished("r1", T0 + 0.7, "b", NodeStatus.FAILED, 0.2, 1, "ValueError: boom"))
    events.append(RunFinished("r1", T0 + 0.8, RunStatus.FAILED, 0.8))
    return events


def test_coalesce_keeps_every_metric_point_and_only_the_latest_progress() -> None:
    batch = coalesce(run_events(100))
    steps, values = batch.metrics[("a", "loss")]
    assert len(steps) == 100 and values[0] == 1.0
    assert batch.progress["a"].fraction == 1.0  # the last one survived
    assert [ev.message for ev in batch.logs] == ["hello from a", "boom"]
    assert batch.started is not None and batch.run_finished is not None


def test_run_state_records_statuses_spans_series_and_logs() -> None:
    state = RunState()
    state.apply(coalesce(run_events(100)))
    assert state.nodes["a"].status == "succeeded" and state.nodes["a"].outputs == {"result": "3"}
    assert state.nodes["b"].status == "failed" and state.nodes["b"].error == "ValueError: boom"
    assert len(state.series[("a", "loss")]) == 100
    assert [(s.node_id, s.worker, s.status) for s in state.spans] == [
        ("a", "thread-1", "succeeded"),
        ("b", "thread-2", "failed"),
    ]
    assert state.spans[0].start == pytest.approx(0.1) and state.spans[0].end == pytest.approx(0.5)
    assert state.status == "failed" and not state.live and state.fraction_done == 1.0


def test_late_progress_does_not_revive_a_finished_node_and_a_retry_closes_the_first_attempt() -> None:
    state = RunState()
    state.apply(coalesce([RunStarted("r", T0, "p", ("a",)), NodeStarted("r", T0, "a", 1, "w")]))
    state.apply(coalesce([NodeStarted("r", T0 + 1, "a", 2, "w")]))
    state.apply(coalesce([NodeFinished("r", T0 + 2, "a", NodeStatus.SUCCEEDED, 2.0, 2)]))
    state.apply(coalesce([NodeProgress("r", T0 + 2, "a", 0.5, "late")]))
    assert state.nodes["a"].status == "succeeded" and state.nodes["a"].attempts == 2
    assert [(s.attempt, s.status) for s in state.spans] == [(1, "retried"), (2, "succeeded")]


def test_bridge_delivers_every_event_from_another_thread_in_few_batches(qtbot) -> None:
    bridge = EventBridge(interval_ms=20)
    state = RunState()
    batches = []

    def on_batch(batch) -> None:
        batches.append(batch.events)
        state.apply(batch)

    bridge.drained.connect(on_batch)
    bridge.start()
    n = 20_000

    def produce() -> None:
        bridge.push(RunStarted("r", T0, "p", ("a",)))
        for i in range(n):
            bridge.push(NodeMetric("r", T0, "a", "m", float(i), float(i)))

    thread = threading.Thread(target=produce)
    thread.start()
    qtbot.waitUntil(lambda: sum(batches) == n + 1, timeout=10_000)
    thread.join()
    bridge.stop()
    assert len(state.series[("a", "m")]) == n
    assert np.array_equal(state.series[("a", "m")].y, np.arange(n, dtype=float))
    assert len([b for b in batches if b]) < n / 10  # coalesced, not one signal per event


def test_metrics_chart_holds_every_point_and_compares_two_runs(qtbot) -> None:
    chart = MetricsChart()
    qtbot.addWidget(chart)
    chart.show()
    state = RunState()
    chart.show_state(state)
    change = state.apply(coalesce(run_events(250)))
    chart.series_changed(change.series)
    chart.tick(force=True)  # redraws are throttled to 10 a second; a run's end forces one
    assert chart.point_count("a", "loss") == 250
    assert len(chart.curves) == 1
    other = RunState()
    other.apply(coalesce(run_events(40)))
    chart.show_sources([("run 1", state), ("run 2", other)])
    assert chart.point_count(source=0) == 250 and chart.point_count(source=1) == 40
    assert chart.legend_labels() == ["a · loss  [run 1]", "a · loss  [run 2]"]


def test_metrics_of_different_scales_get_a_plot_each_or_share_one_by_choice(qtbot) -> None:
    chart = MetricsChart()
    qtbot.addWidget(chart)
    chart.show()
    state = RunState()
    events = [NodeMetric("r", 0.1 * i, "train", "loss", i, 18.0 / (i + 1)) for i in range(20)] + [
        NodeMetric("r", 0.1 * i, "score", "accuracy", i, i / 20) for i in range(20)
    ]
    chart.show_state(state)
    chart.series_changed(state.apply(coalesce(events)).series)
    chart.tick(force=True)
    assert chart.layout_mode == "per_metric" and chart.plot_count() == 2

    def top(name: str) -> float:
        return chart.split_plots[name].getViewBox().viewRange()[1][1]

    qtbot.waitUntil(lambda: top("loss") > 10 and top("accuracy") < 2)  # each metric on its own scale
    chart.layout_choice.setCurrentIndex(chart.layout_choice.findData("shared"))
    assert chart.plot_count() == 1 and chart.point_count() == 40
    assert sorted(chart.legend_labels()) == ["score · accuracy", "train · loss"]
    again = MetricsChart()  # the choice is remembered
    qtbot.addWidget(again)
    assert again.layout_mode == "shared"


def test_timeline_draws_one_bar_per_attempt(qtbot) -> None:
    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.show()  # a hidden timeline does not draw
    state = RunState()
    state.apply(coalesce(run_events(5)))
    chart.show_state(state)
    assert chart.bar_count == 2
    span = chart.span_at(0.3, 0)  # row 0 = thread-1, 0.3 s into the run
    assert span is not None and span.node_id == "a"
    assert chart.span_at(0.05, 0) is None


def test_logs_dock_filters_by_node_and_level_and_copies(qtbot) -> None:
    dock = LogsDock()
    qtbot.addWidget(dock)
    state = RunState()
    change = state.apply(coalesce(run_events(3)))
    dock.append(change.logs)
    assert len(dock.shown_lines()) == 2
    dock.set_node_filter("b")
    assert [ln.message for ln in dock.shown_lines()] == ["boom"]
    dock.set_node_filter(None)
    dock.set_min_level("error")
    assert [ln.message for ln in dock.shown_lines()] == ["boom"]
    dock.set_min_level("debug")
    text = dock.copy()
    assert "hello from a" in text and "boom" in text
    assert QGuiApplication.clipboard().text() == text
    with qtbot.waitSignal(dock.node_activated) as signal:
        dock._clicked(dock.proxy.index(1, 3))
    assert signal.args == ["b"]


def _png_bytes() -> bytes:
    image = QImage(8, 6, QImage.Format.Format_RGB32)
    image.fill(0xFF3366)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def test_output_preview_picks_table_image_or_text(qtbot) -> None:
    preview = OutputPreview()
    qtbot.addWidget(preview)
    state = RunState()
    state.apply(coalesce(run_events(3)))
    pixels = np.zeros((12, 20, 3), dtype=np.uint8)
    pixels[..., 0] = 255
    outputs = {
        "matrix": np.arange(12.0).reshape(4, 3),
        "rows": [{"a": 1, "b": "x"}, {"a": 2, "c": True}],
        "picture": pixels,
        "png": _png_bytes(),
        "info": {"k": [1, 2]},
    }
    preview.show_node("a", state.nodes["a"], outputs, state.node_logs("a"))
    kinds = [type(preview.outputs.widget(i)) for i in range(preview.outputs.count())]
    assert kinds == [QTableView, QTableView, QScrollArea, QScrollArea, QPlainTextEdit]
    assert preview.output_titles[0].startswith("matrix  (4 x 3")
    table = preview.outputs.widget(1).model()
    assert table.columns == ["a", "b", "c"] and table.rowCount() == 2
    label = preview.outputs.widget(2).widget()
    assert isinstance(label, QLabel) and label.pixmap().width() == 20
    assert "hello from a" in preview.logs.toPlainText()
    assert "succeeded" in preview.header.text() and "1 attempt" in preview.header.text()


def test_image_detection_and_table_model() -> None:
    image = as_image(np.full((3, 4, 3), 200, dtype=np.uint8))
    assert image is not None and (image.width(), image.height()) == (4, 3)
    assert as_image(np.zeros((3, 4), dtype=float)) is None
    assert as_image(b"not an image") is None
    model = TableModel(np.arange(6).reshape(3, 2))
    assert (model.rowCount(), model.columnCount()) == (3, 2)
    assert model.data(model.index(2, 1)) == "5"


def test_params_dialog_parses_values_like_the_cli(qtbot) -> None:
    dialog = ParamsDialog({"epochs": 300, "name": "x", "rate": 0.5}, {"epochs": 10})
    qtbot.addWidget(dialog)
    assert dialog.fields["epochs"].text() == "10"
    dialog.set_text("name", "hello world")  # not JSON: a plain string
    dialog.set_text("rate", "0.5")
    assert dialog.overrides() == {"epochs": 10, "name": "hello world"}
    dialog.reset()
    assert dialog.overrides() == {}


def test_resources_chart_samples_this_process(qtbot) -> None:
    chart = ResourcesChart(interval_ms=20)
    qtbot.addWidget(chart)
    chart.start()
    qtbot.waitUntil(lambda: chart.sample_count >= 3, timeout=5000)
    chart.stop()
    assert not chart.sampling
    assert chart.mem.y[-1] > 1.0  # this Python process uses more than a megabyte


def test_empty_timeline_shows_a_hint_not_an_axis(qtbot) -> None:
    chart = TimelineChart()
    qtbot.addWidget(chart)
    assert not chart.axes_shown  # also before it was ever shown (it only refreshes while visible)
    chart.show()
    assert not chart.axes_shown and chart.empty_label.isVisible()
    chart.show_state(None)
    assert not chart.axes_shown and chart.empty_label.isVisible()
    state = RunState()
    state.apply(coalesce(run_events(5)))
    chart.show_state(state)
    assert chart.axes_shown and not chart.empty_label.isVisible()


def test_resource_plots_share_plain_seconds_on_x(qtbot) -> None:
    chart = ResourcesChart()
    qtbot.addWidget(chart)
    for plot in (chart.cpu_plot, chart.mem_plot):
        axis = plot.getAxis("bottom")
        assert axis.labelText == "seconds since run start" and not axis.autoSIPrefix


def test_subtasks_are_bars_on_rows_under_their_node(qtbot) -> None:
    from nodeloom.core.events import NodeStatus, SubtaskFinished, SubtaskStarted

    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.show()
    state = RunState()
    events = run_events(5) + [
        SubtaskStarted("r1", T0 + 0.3, "a", 0, "first", "thread-1"),
        SubtaskStarted("r1", T0 + 0.3, "a", 1, "", "thread-2"),
        SubtaskFinished("r1", T0 + 0.5, "a", 0, "first", NodeStatus.SUCCEEDED, 0.2),
        SubtaskFinished("r1", T0 + 0.6, "a", 1, "", NodeStatus.FAILED, 0.3, "boom"),
        SubtaskStarted("r1", T0 + 0.6, "a", 2, "cached one", "cache"),
        SubtaskFinished("r1", T0 + 0.6, "a", 2, "cached one", NodeStatus.CACHED, 0.0),
    ]
    state.apply(coalesce(events))
    chart.show_state(state)
    subtasks = [s for s in state.spans if s.subtask is not None]
    assert [(s.title, s.worker, s.status) for s in subtasks] == [
        ("first", "a · thread-1", "succeeded"),
        ("a[1]", "a · thread-2", "failed"),
        ("cached one", "a · cache", "cached"),
    ]
    assert chart.bar_count == 2 + 3
    row = state.workers().index("a · thread-2")
    found = chart.span_at(0.45, row)
    assert found is not None and found.subtask == 1
