"""ctx.map: items of one node run in parallel on the run's backend, in item order, cached per item,
stopped by failure and cancel, each a bar on the timeline (SubtaskStarted/SubtaskFinished)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from engine_helpers import pipeline
from map_nodes import count, square
from nodeloom.core import Context
from nodeloom.core.context import Cancelled, MapItemError
from nodeloom.core.engine import RunCancel, RunOptions, run_pipeline
from nodeloom.core.events import NodeLog, NodeMetric, NodeStatus, SubtaskFinished, SubtaskStarted

M = "py:map_nodes:mapper"


def one_map(items: list, function: str = "timed", label: str = "", cache: bool = True):
    params = {"items": items, "function": function}
    if label:
        params["label"] = label
    return pipeline([{"id": "m", "type": M, "params": params, "cache": cache}])


def run(p, backend: str, workers: int = 2, cancel=None, use_cache: bool = True):
    events: list = []
    result = run_pipeline(
        p,
        RunOptions(backend=backend, workers=workers, use_cache=use_cache, record=False),
        on_event=events.append,
        cancel=cancel,
    )
    return result, events


def overlaps(spans: list[tuple[float, float]]) -> bool:
    spans = sorted(spans)
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_items_run_in_parallel_in_item_order_with_streaming_and_timeline(
    backend: str, tmp_path: Path
) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "seconds": 0.4, "counter": counter} for i in range(4)]
    result, events = run(one_map(items, label="trial {i}"), backend, workers=2)
    node = result.nodes["m"]
    assert node.status is NodeStatus.SUCCEEDED, node.error
    values = node.outputs["result"]
    assert [v["i"] for v in values] == [0, 1, 2, 3]  # item order, whatever the completion order
    assert overlaps([(v["start"], v["end"]) for v in values])  # two at a time: intervals overlap
    if backend == "processes":
        assert len({v["pid"] for v in values}) == 2  # on map workers of their own
    started = [e for e in events if isinstance(e, SubtaskStarted)]
    finished = [e for e in events if isinstance(e, SubtaskFinished)]
    assert sorted(e.index for e in started) == [0, 1, 2, 3] == sorted(e.index for e in finished)
    assert {e.label for e in started} == {"trial 0", "trial 1", "trial 2", "trial 3"}
    assert all(e.status is NodeStatus.SUCCEEDED and 0.3 < e.duration_s < 5 for e in finished)
    assert all(e.node_id == "m" and e.worker for e in started)
    order = [e for e in events if isinstance(e, NodeLog) and e.message.startswith("on_result order")]
    assert len(order) == 1 and sorted(eval(order[0].message.split("order ")[1])) == [0, 1, 2, 3]
    assert len([e for e in events if isinstance(e, NodeMetric) and e.name == "done"]) == 4
    assert sorted(count(counter)) == ["0", "1", "2", "3"]


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_first_failure_fails_the_node_and_drops_items_not_started(backend: str, tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "seconds": 0.2, "counter": counter, "fail": i == 1} for i in range(8)]
    result, events = run(one_map(items, label="trial {i}"), backend, workers=2)
    node = result.nodes["m"]
    assert node.status is NodeStatus.FAILED
    assert node.error == "MapItemError: item 1 (trial 1) failed: ValueError: bad item 1"
    assert len(count(counter)) < 8  # the rest were dropped
    failed = [e for e in events if isinstance(e, SubtaskFinished) and e.status is NodeStatus.FAILED]
    assert [(e.index, e.error) for e in failed] == [(1, "ValueError: bad item 1")]


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_items_are_cached_one_by_one(backend: str, tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "seconds": 0.01, "counter": counter} for i in range(3)]
    first, _ = run(one_map(items), backend)
    assert first.nodes["m"].status is NodeStatus.SUCCEEDED, first.nodes["m"].error
    assert len(count(counter)) == 3
    more = [*items, {"i": 3, "seconds": 0.01, "counter": counter}]  # a new item: the node re-runs
    second, events = run(one_map(more), backend)
    assert second.nodes["m"].status is NodeStatus.SUCCEEDED
    assert sorted(count(counter)) == ["0", "1", "2", "3"]  # only the new item ran again
    statuses = {e.index: e.status for e in events if isinstance(e, SubtaskFinished)}
    assert statuses == {0: "cached", 1: "cached", 2: "cached", 3: "succeeded"}
    assert [v["i"] for v in second.nodes["m"].outputs["result"]] == [0, 1, 2, 3]
    uncached, _ = run(one_map(more), backend, use_cache=False)  # --no-cache: every item runs
    assert uncached.nodes["m"].status is NodeStatus.SUCCEEDED
    assert len(count(counter)) == 8


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_cancel_stops_the_map_and_nothing_is_cached(backend: str, tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "counter": counter} for i in range(6)]
    cancel = RunCancel()
    timer = threading.Timer(1.0, cancel.request)
    timer.start()
    begin = time.monotonic()
    result, events = run(one_map(items, function="patient"), backend, workers=2, cancel=cancel)
    timer.join()
    assert result.status == "cancelled" and result.nodes["m"].status is NodeStatus.CANCELLED
    assert time.monotonic() - begin < 8
    assert len(count(counter)) == 2  # the first two started; the rest never did
    ended = {e.index: e.status for e in events if isinstance(e, SubtaskFinished)}
    assert set(ended) == {0, 1} and set(ended.values()) == {"cancelled"}
    again, events = run(one_map(items[:2], function="patient"), backend, workers=2, cancel=_cancel_soon())
    assert not any(e.status == "cached" for e in events if isinstance(e, SubtaskFinished))


def _cancel_soon() -> RunCancel:
    cancel = RunCancel()
    threading.Timer(0.5, cancel.request).start()
    return cancel


def test_detached_context_maps_in_this_thread_and_nested_map_is_refused() -> None:
    ctx = Context.detached()
    seen: list[tuple[int, int]] = []
    assert ctx.map(square, [3, 1, 2], on_result=lambda i, v: seen.append((i, v))) == [9, 1, 4]
    assert seen == [(0, 9), (1, 1), (2, 4)]
    with pytest.raises(MapItemError, match=r"item 1 \(x\) failed: TypeError"):
        ctx.map(square, [1, "x"], label=str)
    cancelled = Context("n", cancel_flag=threading.Event())
    cancelled._cancel.set()  # type: ignore[attr-defined]
    with pytest.raises(Cancelled):
        cancelled.map(square, [1])


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_nested_map_is_a_clear_error(backend: str) -> None:
    result, _ = run(one_map([1, 2], function="nested"), backend)
    assert result.nodes["m"].status is NodeStatus.FAILED
    assert "RuntimeError: ctx.map inside an item of ctx.map is not supported" in result.nodes["m"].error


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_two_maps_at_once_in_one_node_each_get_their_own_results(backend: str) -> None:
    items = [{"i": i, "seconds": 0.05} for i in range(4)]
    p = pipeline([{"id": "m", "type": "py:map_nodes:two_maps", "params": {"items": items}}])
    result, _ = run(p, backend, workers=2)
    assert result.nodes["m"].status is NodeStatus.SUCCEEDED, result.nodes["m"].error
    assert result.nodes["m"].outputs["result"] == [[0, 1, 2, 3], [100, 101, 102, 103]]


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_node_timeout_stops_its_items_and_caches_none_of_them(backend: str, tmp_path: Path) -> None:
    counter = str(tmp_path / "count")
    items = [{"i": i, "counter": counter} for i in range(2)]
    p = pipeline(
        [
            {
                "id": "m",
                "type": M,
                "params": {"items": items, "function": "patient"},
                "timeout_s": 0.8,
            }
        ]
    )
    for run_number in (1, 2):
        begin = time.monotonic()
        result, events = run(p, backend, workers=2)
        assert time.monotonic() - begin < 15  # the items did not run their 20 s
        assert result.nodes["m"].status is NodeStatus.FAILED
        assert result.nodes["m"].error == "timed out after 0.8 s"
        assert len(count(counter)) == 2 * run_number  # never cached: both items ran again


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_large_results_flow_back_without_blocking_the_pipes(backend: str) -> None:
    sizes = [3_000_000 + i for i in range(12)]
    p = pipeline(
        [{"id": "m", "type": "py:map_nodes:big_results", "params": {"sizes": sizes}, "timeout_s": 120}]
    )
    result, _ = run(p, backend, workers=2)
    assert result.nodes["m"].status is NodeStatus.SUCCEEDED, result.nodes["m"].error
    assert result.nodes["m"].outputs["result"] == sizes
