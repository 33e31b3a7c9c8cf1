"""The editor's dask scheduler control: typed into the toolbar, remembered, checked, linked to the
dashboard, and used by a run from the editor on a real `dask scheduler` + `dask worker` (subprocesses).

(Without bokeh the scheduler's dashboard page says how to install it: the link is still the one to offer.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_processes import free_port, start_dask
from nodeloom.core.engine import RunStore
from nodeloom.desktop.main_window import MainWindow
from nodeloom.desktop.run.dask_scheduler import SchedulerControl
from PySide6.QtCore import Qt
from window_helpers import close_after_run

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, int]]:
    """(scheduler address, dashboard port) of a real scheduler with one worker."""
    port, dash = free_port(), free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        start_dask(
            [
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                f"127.0.0.1:{dash}",
                "--no-show",
            ]
        )
    ]
    try:
        procs.append(
            start_dask(["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"])
        )
        with distributed.Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        yield address, dash
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    doc = {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": "dask-from-editor",
        "parameters": {},
        "nodes": [
            {"id": "a", "type": "py:engine_nodes:number", "params": {"value": 4}},
            {"id": "b", "type": "py:engine_nodes:double"},
        ],
        "edges": [{"from": "a.result", "to": "b.x"}],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    win = MainWindow()
    win.document.load(path)
    win.show()
    qtbot.waitExposed(win)
    yield win
    close_after_run(win)


def type_address(qtbot, control: SchedulerControl, text: str) -> None:
    control.edit.setFocus()
    control.edit.selectAll()
    qtbot.keyClick(control.edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(control.edit, text)
    qtbot.keyClick(control.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not control.checking, timeout=20_000)


def choose_dask(qtbot, win: MainWindow) -> None:
    combo = win.run_support.actions.backend
    combo.setFocus()
    while combo.currentText() != "dask":
        qtbot.keyClick(combo, Qt.Key.Key_Down)


def test_scheduler_address_is_remembered_checked_and_linked_and_a_run_uses_it(
    qtbot, window: MainWindow, cluster: tuple[str, int]
) -> None:
    address, dash = cluster
    actions = window.run_support.actions
    control = actions.scheduler
    assert not control.isVisible()  # threads by default: no scheduler to choose
    choose_dask(qtbot, window)
    qtbot.waitUntil(control.isVisible)
    assert "local cluster" in control.status.text()

    type_address(qtbot, control, "tcp://127.0.0.1:1")
    assert control.problem is not None and "nothing is listening there" in control.problem
    assert "nothing is listening there" in control.status.text()

    type_address(qtbot, control, address)
    assert control.problem is None
    assert control.dashboard_url == f"http://127.0.0.1:{dash}/status"
    assert f'href="http://127.0.0.1:{dash}/status"' in control.status.text()
    assert control.status.openExternalLinks()

    with qtbot.waitSignal(window.run_support.run_finished, timeout=60_000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    result = finished.args[0]
    assert result.nodes["b"].outputs["result"] == 8
    with RunStore() as store:
        record = store.get_run(result.run_id)
        workers = {n.worker for n in store.node_runs(result.run_id)}
    assert record is not None and record.backend == "dask"
    with distributed.Client(address, set_as_default=False) as client:
        assert workers <= set(client.scheduler_info(n_workers=-1)["workers"])

    # A new editor remembers the address.
    fresh = SchedulerControl()
    qtbot.addWidget(fresh)
    assert fresh.address == address
    qtbot.waitUntil(lambda: not fresh.checking, timeout=20_000)
