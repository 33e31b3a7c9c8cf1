"""ctx.map on the dask backend: a node's items run as Dask tasks on the cluster's workers, in parallel,
in item order, each a timeline bar with its Dask worker, cached one by one (on a cluster Nodeloom
started), stopped by a failure, a timeout and cancel, and never deadlocked by nodes waiting for items."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import pipeline
from map_nodes import count
from nodeloom.core.engine import RunCancel, RunOptions, run_pipeline
from nodeloom.core.events import NodeLog, NodeMetric, NodeStatus, SubtaskFinished, SubtaskStarted

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

M = "py:map_nodes:mapper"


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as local:
        yield local


def mapping(node_id: str, items: list, function: str = "timed", label: str = "", **extra) -> dict:
    params = {"items": items, "function": function} | ({"label": label} if label else {})
    return {"id": node_id, "type": M, "params": params, **extra}


def run(nodes: list[dict], address: str | None = None, use_cache: bool = True, cancel=None):
    events: list = []
    options = RunOptions(backend="dask", workers=2, scheduler=address, use_cache=use_cache, record=False)
    result = run_pipeline(pipeline(nodes), options, on_event=events.append, cancel=cancel)
    return result, events


def test_items_run_on_the_cluster_in_parallel_in_item_order_and_are_cached_one_by_one(tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "seconds": 0.4, "counter": counter} for i in range(4)]
    result, events = run([mapping("m", items, label="trial {i}")])  # a cluster of its own
    node = result.nodes["m"]
    assert node.status is NodeStatus.SUCCEEDED, node.error
    values = node.outputs["result"]
    assert [v["i"] for v in values] == [0, 1, 2, 3]
    spans = sorted((v["start"], v["end"]) for v in values)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))  # two at a time
    assert len({v["pid"] for v in values}) == 2  # on both worker processes
    started = [e for e in events if isinstance(e, SubtaskStarted)]
    finished = [e for e in events if isinstance(e, SubtaskFinished)]
    assert sorted(e.index for e in started) == [0, 1, 2, 3] == sorted(e.index for e in finished)
    assert {e.label for e in started} == {"trial 0", "trial 1", "trial 2", "trial 3"}
    assert all(e.worker.startswith("tcp://127.0.0.1:") for e in started)
    assert all(e.status is NodeStatus.SUCCEEDED and 0.3 < e.duration_s < 10 for e in finished)
    assert len([e for e in events if isinstance(e, NodeMetric) and e.name == "done"]) == 4
    assert sorted(count(counter)) == ["0", "1", "2", "3"]  # each item ran once

    more = [*items, {"i": 4, "seconds": 0.01, "counter": counter}]  # a new item: the node re-runs
    second, events = run([mapping("m", more)])
    assert second.nodes["m"].status is NodeStatus.SUCCEEDED, second.nodes["m"].error
    statuses = {e.index: str(e.status) for e in events if isinstance(e, SubtaskFinished)}
    assert statuses == {0: "cached", 1: "cached", 2: "cached", 3: "cached", 4: "succeeded"}
    assert sorted(count(counter)) == ["0", "1", "2", "3", "4"]  # only the new item ran


def test_a_failed_item_fails_the_node_and_the_rest_are_dropped(cluster, tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "seconds": 0.2, "counter": counter, "fail": i == 1} for i in range(10)]
    result, events = run([mapping("m", items, label="trial {i}")], cluster.scheduler_address)
    node = result.nodes["m"]
    assert node.status is NodeStatus.FAILED
    assert node.error == "MapItemError: item 1 (trial 1) failed: ValueError: bad item 1"
    assert len(count(counter)) < 10
    failed = [e for e in events if isinstance(e, SubtaskFinished) and e.status is NodeStatus.FAILED]
    assert [(e.index, e.error) for e in failed] == [(1, "ValueError: bad item 1")]
    assert any(isinstance(e, NodeLog) and "item 1 failed" in e.message for e in events)  # its traceback


def test_timeout_and_cancel_stop_the_items_on_the_cluster(cluster, tmp_path: Path) -> None:
    address = cluster.scheduler_address
    counter = str(tmp_path / "count")
    items = [{"i": i, "counter": counter} for i in range(6)]
    begin = time.monotonic()
    result, _ = run([mapping("m", items, function="patient", timeout_s=1.0)], address)
    assert result.nodes["m"].error == "timed out after 1 s"
    cancel = RunCancel()
    threading.Timer(1.0, cancel.request).start()
    cancelled, events = run([mapping("c", items, function="patient")], address, cancel=cancel)
    assert cancelled.status == "cancelled" and cancelled.nodes["c"].status is NodeStatus.CANCELLED
    with distributed.Client(address, set_as_default=False) as client:  # items saw ctx.cancelled and ended
        deadline = time.monotonic() + 10
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values())
    assert time.monotonic() - begin < 30  # each patient item would have run 20 s


def test_two_mapping_nodes_on_a_two_thread_cluster_do_not_wait_for_each_other(cluster) -> None:
    items = [{"i": i, "seconds": 0.2} for i in range(4)]
    result, _ = run([mapping("a", items), mapping("b", items)], cluster.scheduler_address, use_cache=False)
    assert result.status == "succeeded", {k: v.error for k, v in result.nodes.items()}
    assert [v["i"] for v in result.nodes["b"].outputs["result"]] == [0, 1, 2, 3]
