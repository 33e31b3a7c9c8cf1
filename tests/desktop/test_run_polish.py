"""Run views a new user trips over: the Run tab's wording, the progress bar's colour, the
history dock's rows and labels, the heading after a debug re-run. Driven through real gestures: F5 on the
window, mouse clicks through the view and on the dock's buttons, a `nodeloom run` in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_nodeloom
from nodeloom.desktop.main_window import MainWindow
from nodeloom.desktop.run.controller import RunController
from nodeloom.desktop.status_palette import STATUS_COLOURS
from PySide6.QtCore import Qt
from test_run_controller import RUN_TIMEOUT_MS, write_pipeline, write_with_node
from window_helpers import close_after_run


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    win = MainWindow()
    win.files.open_path(write_pipeline(tmp_path / "p.json", n=20))
    win.show()
    qtbot.waitExposed(win)
    yield win
    close_after_run(win)


def press_f5(qtbot, window: MainWindow):
    controller: RunController = window.run_support
    with qtbot.waitSignal(controller.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    return finished.args[0]


def click_node(qtbot, window: MainWindow, node_id: str) -> None:
    item = window.scene.node_item(node_id)
    window.view.centerOn(item)
    point = window.view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.scene.selected_node_ids() == [node_id]


def test_run_tab_does_not_say_never_run_under_succeeded(qtbot, window: MainWindow) -> None:
    result = press_f5(qtbot, window)
    assert str(result.status) == "succeeded"
    click_node(qtbot, window, "c")
    preview = window.run_support.preview
    qtbot.waitUntil(lambda: preview.node_id == "c")
    header = preview.header.text()
    assert "succeeded" in header and "never run" not in header
    assert "Executed: no earlier result was cached" in header
    press_f5(qtbot, window)  # the second run serves c from the cache and says why
    click_node(qtbot, window, "a")
    click_node(qtbot, window, "c")
    header = preview.header.text()
    assert "cached" in header and "From the cache" in header


def _chunk_colour(window: MainWindow) -> str:
    sheet = window.run_support.run_dock.progress.styleSheet()
    return sheet.split("QProgressBar::chunk")[1].split("background-color:")[1].split(";")[0].strip()


def test_progress_bar_is_hidden_before_a_run_and_coloured_by_outcome(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    dock = window.run_support.run_dock
    assert not dock.progress.isVisible()
    press_f5(qtbot, window)
    assert dock.progress.isVisible() and dock.progress.value() == 1000
    assert _chunk_colour(window) == STATUS_COLOURS["succeeded"]
    assert dock.progress.text().endswith("succeeded")
    failing = write_with_node(
        tmp_path / "f.json",
        {"id": "late", "type": "py:run_nodes:wait_for_cancel", "params": {"limit_s": 0.01}},
        n=5,
    )
    window.files.open_path(failing)
    assert not dock.progress.isVisible()  # a new file shows no run
    result = press_f5(qtbot, window)
    assert str(result.status) == "failed"
    assert _chunk_colour(window) == STATUS_COLOURS["failed"]
    assert dock.progress.text().endswith("failed")


def test_heading_leaves_running_after_a_debug_rerun(qtbot, window: MainWindow) -> None:
    controller: RunController = window.run_support
    press_f5(qtbot, window)
    assert controller.debug_rerun("c")
    qtbot.waitUntil(lambda: not controller.running, timeout=10_000)
    title = controller.run_dock.title.text()
    assert not title.startswith("Running") and title == "Debug re-run of c succeeded"


def test_history_refresh_toggle_and_cli_runs_keep_rows(qtbot, window: MainWindow, tmp_path: Path) -> None:
    controller: RunController = window.run_support
    dock = controller.history_dock
    dock.show()
    dock.raise_()
    press_f5(qtbot, window)
    press_f5(qtbot, window)
    qtbot.waitUntil(lambda: dock.table.rowCount() == 2)
    refresh = next(b for b in dock.findChildren(type(dock.open_button)) if b.text() == "Refresh")
    qtbot.mouseClick(refresh, Qt.MouseButton.LeftButton)
    assert dock.table.rowCount() == 2 and dock.message.text() == "2 runs"
    other = write_pipeline(tmp_path / "other.json", n=3)
    other.write_text(other.read_text().replace('"run-test"', '"other-pipeline"'))
    completed = run_nodeloom("run", str(other))
    assert completed.returncode == 0, completed.stderr
    qtbot.mouseClick(dock.only_this, Qt.MouseButton.LeftButton, pos=dock.only_this.rect().center())
    assert not dock.only_this.isChecked()
    # the CLI's run shows up without a new run in the editor (the dock watches the store's files)
    qtbot.waitUntil(lambda: dock.table.rowCount() == 3, timeout=10_000)
    assert {r.pipeline for r in dock.records} == {"run-test", "other-pipeline"}
    qtbot.mouseClick(dock.only_this, Qt.MouseButton.LeftButton, pos=dock.only_this.rect().center())
    assert dock.only_this.isChecked() and dock.table.rowCount() == 2


def test_runs_opened_from_history_are_named_by_pipeline_time_and_status(qtbot, window: MainWindow) -> None:
    controller: RunController = window.run_support
    first = press_f5(qtbot, window)
    second = press_f5(qtbot, window)
    assert controller.open_history_run(first.run_id)
    title = controller.run_dock.title.text()
    assert title.startswith("run-test 20") and "(succeeded) from the history" in title
    assert first.run_id[:8] not in title
    assert controller.compare_runs([first.run_id, second.run_id])
    compare_title = controller.run_dock.title.text()
    assert compare_title.count("run-test 20") == 2 and "(succeeded)" in compare_title


@pytest.mark.parametrize("backend", ["processes", "threads"])
def test_ctx_map_items_show_as_timeline_bars(qtbot, window: MainWindow, tmp_path: Path, backend: str) -> None:
    path = write_with_node(
        tmp_path / "m.json", {"id": "fan", "type": "py:run_nodes:map_squares", "params": {"n": 4}}, n=3
    )
    window.files.open_path(path)
    controller: RunController = window.run_support
    controller.actions.set_backend(backend)
    result = press_f5(qtbot, window)
    assert str(result.status) == "succeeded"
    items = [s for s in controller.state.spans if s.subtask is not None]
    assert sorted(s.title for s in items) == ["item 0", "item 1", "item 2", "item 3"]
    assert all(s.node_id == "fan" and s.status == "succeeded" and s.end is not None for s in items)
    assert all(s.worker.startswith("fan · ") for s in items)
    timeline = controller.run_dock.timeline
    controller.run_dock.tabs.setCurrentWidget(timeline)
    assert timeline.bar_count == len(controller.state.spans) >= 5 + 4


def test_an_unpicklable_value_on_processes_says_to_choose_threads(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_with_node(tmp_path / "c.json", {"id": "fn", "type": "py:run_nodes:closure"}, n=2)
    window.files.open_path(path)
    controller: RunController = window.run_support
    assert controller.actions.backend_name == "processes"  # the editor's default
    result = press_f5(qtbot, window)
    assert str(result.status) == "failed"
    assert "choose Backend: threads" in controller.run_dock.title.toolTip()
    assert "choose Backend: threads" in window.statusBar().currentMessage()
    controller.actions.set_backend("threads")
    assert str(press_f5(qtbot, window).status) == "succeeded"
