"""The engine: run pipelines locally, in parallel, cached, with retries, timeouts, cancel and run history.

Public names: `RunOptions`, `run_pipeline`, `RunResult`, `NodeResult`, `explain_cache`, `cached_inputs`,
`RunCancel` (cancel a run, or hurry the cancel), and the history reader `RunStore` with its records.
`ctx.map` (see `map_tasks.py`) runs a node's items as sub-tasks on the run's backend. See `scheduler.py` for the run semantics,
`keys.py` for the cache rules, and the backends: `threads_backend.py`, `process_backend.py`,
`dask_backend.py` (optional extra `nodeloom[dask]`, imported only when a run asks for it).
"""

from .cancel import RunCancel
from .options import RunOptions
from .results import NodeResult, RunResult
from .run_store import LogRecord, MetricRecord, NodeRunRecord, RunRecord, RunStore
from .runner import cached_inputs, explain_cache, run_pipeline

__all__ = [
    "LogRecord",
    "MetricRecord",
    "NodeResult",
    "NodeRunRecord",
    "RunOptions",
    "RunCancel",
    "RunRecord",
    "RunResult",
    "RunStore",
    "cached_inputs",
    "explain_cache",
    "run_pipeline",
]
