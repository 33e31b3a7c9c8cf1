"""The run's state machine: nodes become ready as their inputs finish, run on a backend, and end.

All state is guarded by one lock. A worker that finishes an attempt updates the state itself
(`on_outcome`) and is handed the next ready node at once, so trivial nodes cost no thread switch.
Every event is queued in the order the state changed; `driver.Driver` (the caller's thread) delivers
them, so the listener sees RunStarted, per node NodeStarted (per attempt), its progress, metric and
log events and one NodeFinished (also for cached, skipped and cancelled nodes, with `reason`), and
RunFinished last. The driver also calls `tick` for timeouts, retry delays and cancel.

Semantics: a node is ready when all its upstream nodes succeeded or came from the cache; a ready node
whose Merkle key is in the cache is `cached` without running. A failed node (retries exhausted) makes
its descendants `skipped`; independent branches go on. Disabled nodes and their descendants are
`skipped`. A timed-out attempt fails at its deadline (its worker is abandoned or killed) and may be
retried after `retry_delay_s`. On cancel nothing new starts, running attempts see `ctx.cancelled` and get
`CANCEL_GRACE_S` to return before their workers are abandoned or killed; every unfinished node is
`cancelled` (an attempt that returns after the cancel is cancelled too: it may have stopped early).
A hurried cancel (`RunCancel.request(hurry=True)`) skips the grace period.

Results reach the cache only through an accepted outcome: the worker pickles the outputs, the
scheduler records the success (`Outcome.accepted`), and only then does the worker write them and
report `stored`; an outcome that arrives after its attempt ended (timed out, retried, given up on
cancel) is dropped unwritten. The run ends once every accepted result is written. Deadlines, retry
delays and the cancel grace period are on `time.monotonic()`; event times are wall-clock.
"""

from __future__ import annotations

import heapq
import logging
import secrets
import threading
import time
from collections import deque
from typing import Any

from ..events import Event, NodeFinished, NodeLog, NodeStarted, NodeStatus
from .backend import Attempt, Backend, Unopened, open_backend
from .cache import ResultCache, scope_of
from .cancel import RunCancel, hurried
from .invoke import Outcome, Task
from .keys import signatures, why_not_cached
from .map_tasks import load_entry
from .options import RunOptions
from .plan import Plan, disabled_reasons, gather_inputs
from .results import NodeResult
from .summaries import summarize_outputs

CANCEL_GRACE_S = 1.0
# Threads: another worker joins in only once every running attempt has run this long (see `_dispatch`).
STALL_S = 0.002
STORE_WAIT_S = 10.0  # the longest a finished run waits for its results to reach the cache
POLL_S = 0.02  # how often the caller delivers events and looks at deadlines and the cancel event
log = logging.getLogger("nodeloom.engine")
SUCCEEDED = NodeStatus.SUCCEEDED


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class Scheduler:
    def __init__(
        self,
        plan: Plan,
        options: RunOptions,
        cancel: threading.Event,
    ) -> None:
        self.plan, self.options, self.cancel = plan, options, cancel
        self.run_id = new_run_id()
        self.workers = options.worker_count()
        self.lock = threading.Lock()
        self.events: deque[Event] = deque()
        self.wake = threading.Event()
        self.backend: Backend = Unopened()  # `open` makes the real one
        self.cache = ResultCache() if options.use_cache else None
        self.keys, self.sigs = signatures(plan, self.run_id) if self.cache is not None else ({}, {})
        self.scope = scope_of(plan.pipeline.name, plan.file)
        self.forced = plan.with_descendants(set(options.rerun))
        self.done: dict[str, NodeResult] = {}
        self.outputs: dict[str, dict[str, Any]] = {}  # node id -> its outputs (inputs of the next nodes)
        self.waiting = {nid: len(np.upstream) for nid, np in plan.nodes.items()}
        self.attempts = dict.fromkeys(plan.nodes, 0)
        self.first_start: dict[str, float] = {}
        self.reasons: dict[str, str | None] = {}
        self.ready: deque[str] = deque()
        self.delayed: list[tuple[float, int, str]] = []
        self.running: dict[int, Attempt] = {}
        self.cancelling: float | None = None  # the end of the cancel grace period
        self.unstored = 0  # accepted results their workers are still writing to the cache
        self._all_done_at: float | None = None
        self._task_ids = 0
        self._total = len(plan.nodes)
        self._cache_root = str(self.cache.root) if self.cache is not None else None
        self._hand_back = False  # a worker that finishes runs the next node itself (the backend says)
        self._deferred_start = False  # the backend posts NodeStarted itself (dask: with the worker's address)
        self._stores_accepted = False  # workers report `stored` after writing accepted results

    # -- events ------------------------------------------------------------------------------------
    def post(self, event: Event) -> None:
        """Queue a node's event (any thread)."""
        self.events.append(event)

    def _finish(self, nid: str, result: NodeResult) -> None:
        self.done[nid] = result
        self.outputs[nid] = result.outputs
        self.events.append(
            NodeFinished(
                self.run_id,
                result.finished or time.time(),
                nid,
                result.status,
                result.duration_s,
                result.attempts,
                result.error,
                result.reason,
                summarize_outputs(result.outputs),
            )
        )
        if len(self.done) == self._total:
            self.wake.set()

    # -- the run (caller thread) --------------------------------------------------------------------
    def open(self) -> None:
        """Create the backend (dask: start or connect to a cluster); raises PipelineError if it cannot."""
        self.backend = open_backend(self.options, self.workers, self, self.run_id, self.plan.file)
        self.workers = self.backend.max_workers
        self._deferred_start = self.backend.deferred_start
        self._hand_back = self.backend.hands_back
        self._stores_accepted = self.backend.stores_accepted

    def start(self) -> None:
        """Skip disabled nodes, take what the cache has, start the first nodes (caller thread)."""
        with self.lock:
            self._initial()
            self.backend.prestart(min(self.workers, len(self.plan.nodes) - len(self.done)))
            self._dispatch()

    def shutdown(self) -> None:
        with self.lock:
            self.backend.shutdown()

    def hurry(self) -> None:
        """Cancel without a grace period (the caller's thread was interrupted: stop now)."""
        cancel = self.cancel
        if isinstance(cancel, RunCancel):
            cancel.request(hurry=True)
        else:
            cancel.set()
        with self.lock:
            self._begin_cancel()
            self.cancelling = time.monotonic()

    def wait_time(self) -> float:
        wait = POLL_S
        now = time.monotonic()
        with self.lock:
            for attempt in self.running.values():
                if attempt.deadline is not None:
                    wait = min(wait, attempt.deadline - now)
            if self.delayed:
                wait = min(wait, self.delayed[0][0] - now)
            if self._hand_back and self.ready and self.running:  # when the newest attempt counts as stalled
                newest = max(attempt.begun for attempt in self.running.values())
                wait = min(wait, newest + STALL_S - now)
        return max(wait, 0.0)

    def tick(self) -> bool:
        """Deadlines, retry delays and cancel (caller thread); True once every node is finished and
        every accepted result is in the cache (waiting at most STORE_WAIT_S for a slow disk)."""
        with self.lock:
            if len(self.done) < self._total:
                self._tick()
                if len(self.done) < self._total:
                    return False
            if self.unstored <= 0:
                return True
            now = time.monotonic()
            if self._all_done_at is None:
                self._all_done_at = now
            return now - self._all_done_at > STORE_WAIT_S or hurried(self.cancel)

    def stored(self) -> None:
        """A worker wrote an accepted result to the cache (any thread)."""
        with self.lock:
            self.unstored -= 1
            if self.unstored <= 0 and len(self.done) == self._total:
                self.wake.set()

    def _tick(self) -> None:
        if self.cancel.is_set():
            self._begin_cancel()
        if self.cancelling is not None:
            if not self.running or time.monotonic() >= self.cancelling or hurried(self.cancel):
                self._cancel_rest()
            return
        now = time.monotonic()
        for task_id, attempt in list(self.running.items()):
            if attempt.deadline is not None and now >= attempt.deadline:
                del self.running[task_id]
                attempt.stopped = True
                self.backend.abandon(attempt.worker)
                timeout = self.plan.nodes[attempt.node_id].node.timeout_s
                self._attempt_failed(attempt, f"timed out after {timeout:g} s")
        while self.delayed and self.delayed[0][0] <= now:
            self.ready.append(heapq.heappop(self.delayed)[2])
        self._dispatch()
        if not self.running and not self.ready and not self.delayed and len(self.done) < self._total:
            stuck = "internal error: never became ready"  # never expected: fail rather than hang
            for nid in [nid for nid in self.plan.nodes if nid not in self.done]:
                self._finish(nid, NodeResult(NodeStatus.FAILED, error=stuck, finished=time.time()))

    def _initial(self) -> None:
        for nid, reason in disabled_reasons(self.plan).items():
            self._finish(nid, NodeResult(NodeStatus.SKIPPED, finished=time.time(), reason=reason))
        for nid, node_plan in self.plan.nodes.items():
            if not node_plan.upstream and nid not in self.done:  # sources; the rest follow as inputs finish
                self._became_ready(nid)

    # -- readiness, cache, dispatch (lock held) -----------------------------------------------------
    def _became_ready(self, first: str) -> None:
        work = [first]
        while work:
            nid = work.pop()
            if not self._from_cache(nid):
                self.ready.append(nid)
                continue
            for succ in reversed(self.plan.nodes[nid].downstream):
                self.waiting[succ] -= 1
                if self.waiting[succ] == 0 and succ not in self.done:
                    work.append(succ)

    def _from_cache(self, nid: str) -> bool:
        if self.cache is None or not self.plan.nodes[nid].node.cache or nid in self.forced:
            return False
        begin = time.time()
        entry = load_entry(self.cache, self.keys[nid])
        if entry is None:
            return False
        now = time.time()
        reason = f"unchanged since run {entry.get('run_id', '?')}"
        self._finish(
            nid, NodeResult(NodeStatus.CACHED, 0, now - begin, None, entry["outputs"], begin, now, reason)
        )
        return True

    def why_not_cached(self, nid: str) -> str:
        return why_not_cached(
            self.plan, nid, self.cache, self.keys, self.sigs, self.scope, self.forced, self.options.rerun
        )

    def _dispatch(self) -> None:
        """Start ready nodes on idle workers.

        Processes: all at once. Threads: a worker that finishes runs the next ready node itself, so more
        threads only help when the running nodes wait (I/O, sleep, native code without the GIL); for
        trivial nodes they would only fight over the GIL and this lock. So a ready node goes to another
        worker only when every running attempt has run for `STALL_S` (the driver checks that often),
        and then as many join as are running (1, 2, 4, ...: the pool fills within a few ticks).
        """
        budget = len(self.ready)
        if self._hand_back:
            now = time.monotonic()
            for attempt in self.running.values():
                if now - attempt.begun < STALL_S:
                    return
            budget = max(1, len(self.running))
        while self.ready and self.cancelling is None and budget > 0:
            worker = self.backend.idle_worker()
            if worker is None:
                return
            budget -= 1
            task, attempt = self._prepare(self.ready.popleft(), worker)
            problem = self.backend.submit(worker, task, attempt)
            if problem is not None:
                del self.running[task.task_id]
                self.backend.release(worker)
                self._attempt_failed(attempt, problem)

    def _prepare(self, nid: str, worker: str) -> tuple[Task, Attempt]:
        """Gather the node's inputs, count the attempt, queue NodeStarted: the attempt is running now."""
        node_plan = self.plan.nodes[nid]
        kwargs = gather_inputs(node_plan, self.outputs)
        number = self.attempts[nid] + 1
        self.attempts[nid] = number
        node = node_plan.node
        now = time.time()
        if number == 1:
            self.reasons[nid] = self.why_not_cached(nid)
            self.first_start[nid] = now
        cache_key = self.keys[nid] if self.cache is not None and node.cache else None
        self._task_ids += 1
        task = Task(
            self._task_ids,
            self.run_id,
            nid,
            number,
            node_plan.node_type,
            kwargs,
            cache_key,
            self._cache_root,
            f"{self.scope}\0{nid}" if cache_key is not None else None,
            nid not in self.forced,
        )
        begun = time.monotonic()
        deadline = begun + node.timeout_s if node.timeout_s else None
        attempt = Attempt(nid, number, worker, now, begun, deadline, self.cancel)
        self.running[self._task_ids] = attempt
        if not self._deferred_start:
            self.events.append(NodeStarted(self.run_id, now, nid, number, worker))
        return task, attempt

    # -- outcomes (worker or reader threads) --------------------------------------------------------
    def on_outcome(self, worker: str, outcome: Outcome) -> tuple[Task, Attempt] | bool:
        """Record an attempt's end and hand out more work; False if the attempt was already given up.

        On the threads backend the reporting worker gets its next node as the return value (it runs it
        at once, with no queue in between); otherwise, or if nothing is ready, it is released: True.
        """
        with self.lock:
            attempt = self.running.pop(outcome.task_id, None)
            if attempt is None:
                return False
            if self.cancel.is_set():
                self._begin_cancel()
                self._cancelled(attempt.node_id, "run cancelled while it ran")
            elif outcome.ok:
                self._succeeded(attempt, outcome)
            else:
                self._attempt_failed(attempt, outcome.error or "failed")
            if self._hand_back and self.ready and self.cancelling is None:
                following = self._prepare(self.ready.popleft(), worker)
                self.backend.hand_back(worker, following[1])
                return following  # a fresh attempt: no other worker is due to join now
            self.backend.release(worker)
            self._dispatch()
            return True

    def on_worker_lost(self, worker: str, task_id: int | None, message: str) -> None:
        """A worker died (a process killed, an engine fault in a thread): its attempt fails with `message`."""
        with self.lock:
            attempt = self.running.get(task_id) if task_id is not None else None
            if attempt is None or attempt.worker != worker:
                return  # given up already, or not this worker's
            del self.running[task_id]  # type: ignore[arg-type]
            attempt.stopped = True
            self.backend.abandon(worker)
            if self.cancel.is_set():
                self._begin_cancel()
                self._cancelled(attempt.node_id, "run cancelled while it ran")
            else:
                self._attempt_failed(attempt, message)
            self._dispatch()

    def _succeeded(self, attempt: Attempt, outcome: Outcome) -> None:
        """The hot path of a run: successors become ready without a call per node."""
        nid = attempt.node_id
        started = self.first_start[nid]
        finished = outcome.finished if outcome.finished > started else started
        if self.cache is not None:
            self._remember(nid, "succeeded")
        outcome.accepted = True  # the worker may now write the result to the cache
        if outcome.will_store and self._stores_accepted:
            self.unstored += 1  # the run ends only once it is written (see `tick`)
        reason = self.reasons.get(nid)
        outputs = outcome.outputs or {}
        self._finish(
            nid,
            NodeResult(
                SUCCEEDED, attempt.attempt, finished - started, None, outputs, started, finished, reason
            ),
        )
        done = self.done
        waiting = self.waiting
        for succ in self.plan.nodes[nid].downstream:
            left = waiting[succ] - 1
            waiting[succ] = left
            if left == 0 and succ not in done:
                if self.cache is None:
                    self.ready.append(succ)  # the common case of `_became_ready`, without the call
                else:
                    self._became_ready(succ)

    def _attempt_failed(self, attempt: Attempt, error: str) -> None:
        nid = attempt.node_id
        node = self.plan.nodes[nid].node
        now = time.time()
        if attempt.attempt <= node.retries:
            delay = float(node.retry_delay_s or 0)
            later = f"; retrying in {delay:g} s" if delay > 0 else "; retrying"
            self.events.append(
                NodeLog(self.run_id, now, nid, "warning", f"attempt {attempt.attempt} failed: {error}{later}")
            )
            if delay > 0:
                heapq.heappush(self.delayed, (time.monotonic() + delay, self._task_ids, nid))
            else:
                self.ready.appendleft(nid)
            return
        self._remember(nid, "failed")
        started = self.first_start.get(nid, now)
        result = NodeResult(
            NodeStatus.FAILED, attempt.attempt, now - started, error, {}, started, now, self.reasons.get(nid)
        )
        self._finish(nid, result)
        self._skip_descendants(nid, f"upstream '{nid}' failed")

    def _remember(self, nid: str, status: str) -> None:
        if self.cache is not None and self.plan.nodes[nid].node.cache:
            try:
                self.cache.remember(self.scope, nid, self.keys[nid], self.sigs[nid], status)
            except OSError as exc:
                log.warning("cache index not written for %s: %s", nid, exc)

    def _skip_descendants(self, nid: str, reason: str) -> None:
        for desc in self.plan.descendants(nid):
            if desc not in self.done:
                self._finish(desc, NodeResult(NodeStatus.SKIPPED, finished=time.time(), reason=reason))

    # -- cancel (lock held) ---------------------------------------------------------------------------
    def _begin_cancel(self) -> None:
        if self.cancelling is None:
            self.cancelling = time.monotonic() + CANCEL_GRACE_S
            self.backend.signal_cancel()
            self.ready.clear()
            self.delayed.clear()
            self.wake.set()

    def _cancel_rest(self) -> None:
        for attempt in list(self.running.values()):
            attempt.stopped = True
            self.backend.abandon(attempt.worker)
            self._cancelled(attempt.node_id, "run cancelled while it ran")
        self.running.clear()
        for nid in self.plan.nodes:
            if nid not in self.done:
                self._cancelled(nid, "run cancelled before it started")

    def _cancelled(self, nid: str, reason: str) -> None:
        now = time.time()
        started = self.first_start.get(nid)
        duration = now - started if started is not None else 0.0
        self._finish(
            nid,
            NodeResult(NodeStatus.CANCELLED, self.attempts[nid], duration, None, {}, started, now, reason),
        )
