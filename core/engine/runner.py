"""The engine's entry points: run a pipeline, say why nodes are (not) cached, fetch cached inputs.

`run_pipeline` validates first (raising `PipelineError` with one `Problem` per line), runs on a snapshot
of the pipeline (`pipeline.copy()`, so the caller may keep editing), records the run in the run store
unless `record=False`, and returns a `RunResult`; it never raises for a node's failure. The listener is
called from the calling thread only, in order. `explain_cache` and `cached_inputs` compute the same
Merkle keys a run would, without running anything.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from ..events import Event
from ..model import Pipeline
from ..registry import Registry
from .cache import ResultCache
from .cache_space import Lease
from .cancel import RunCancel
from .driver import Driver
from .keys import signatures
from .options import RunOptions
from .plan import build_plan, disabled_reasons, gather_inputs
from .results import RunResult
from .run_writer import RunRecorder
from .scheduler import Scheduler

log = logging.getLogger("nodeloom.engine")


def run_pipeline(
    pipeline: Pipeline,
    options: RunOptions | None = None,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
    registry: Registry | None = None,
) -> RunResult:
    """Run the pipeline. `cancel` (a `RunCancel` to be able to hurry, or any Event) stops it early."""
    options = options or RunOptions()
    plan = build_plan(pipeline, options, registry)
    recorder: RunRecorder | None = None
    if options.record:
        try:
            recorder = RunRecorder()
        except sqlite3.Error as exc:
            log.warning("run history not recorded: %s", exc)
    scheduler = Scheduler(plan, options, cancel if cancel is not None else RunCancel())
    try:  # the lease keeps concurrent runs' pruning off this run's entries; it prunes when the run ends
        with (
            Lease(scheduler.cache, scheduler.run_id, scheduler.keys.values())
            if scheduler.cache
            else nullcontext()
        ):
            return Driver(scheduler, on_event, recorder).run()
    finally:
        if recorder is not None:
            recorder.close()


def explain_cache(
    pipeline: Pipeline, options: RunOptions | None = None, registry: Registry | None = None
) -> dict[str, str | None]:
    """node id -> None if a run now would take it from the cache, else the reason in words.

    Follows the run's rules: a node whose upstream would re-run is explained by that input changing;
    disabled nodes and their descendants would be skipped ("disabled" / "upstream 'x' is disabled").
    """
    options = options or RunOptions()
    plan = build_plan(pipeline, options, registry)
    scheduler = Scheduler(plan, options, threading.Event())
    blocked = disabled_reasons(plan)
    reasons: dict[str, str | None] = {}
    for nid in plan.nodes:
        if nid in blocked:
            reasons[nid] = blocked[nid]
        elif (
            scheduler.cache is not None
            and plan.nodes[nid].node.cache
            and nid not in scheduler.forced
            and scheduler.cache.has(scheduler.keys[nid])
        ):
            reasons[nid] = None
        else:
            reasons[nid] = scheduler.why_not_cached(nid)
    return reasons


def cached_inputs(
    pipeline: Pipeline, node_id: str, options: RunOptions | None = None, registry: Registry | None = None
) -> dict[str, Any] | None:
    """The inputs `node_id` would receive (params and edge values, from the cache of its upstream nodes).

    None if any upstream node has no cached result. Lets the editor re-run one node in-process, e.g.
    under a debugger. The context parameter, if any, is not included.
    """
    options = options or RunOptions()
    base = RunOptions(
        backend=options.backend,
        use_cache=True,
        targets=[node_id],
        overrides=dict(options.overrides),
        file=options.file,
        record=False,
    )
    plan = build_plan(pipeline, base, registry)
    keys, _sigs = signatures(plan, nonce="cached-inputs")
    cache = ResultCache()

    class FromCache(dict[str, dict[str, Any]]):
        """Upstream outputs, loaded from the cache as first asked for (KeyError: not cached)."""

        def __missing__(self, src: str) -> dict[str, Any]:
            entry = cache.load(keys[src]) if plan.nodes[src].node.cache else None
            if entry is None:
                raise KeyError(src)
            self[src] = entry["outputs"]
            return entry["outputs"]

    try:
        return gather_inputs(plan.nodes[node_id], FromCache())
    except KeyError:  # an upstream node has no cached result (or lacks that port)
        return None
