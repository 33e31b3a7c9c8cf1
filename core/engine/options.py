"""How to run a pipeline: backend, worker count, cache use, target selection, overrides.

`RunOptions` is plain data shared by the CLI, the editor and tests. Defaults match the design:
the `threads` backend with as many workers as `concurrent.futures` would use (min(32, cores + 4), so
I/O-bound branches overlap), one process per core on `processes`, and on `dask` a local cluster of 2
single-threaded worker processes unless `scheduler` names a running cluster's address.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("threads", "processes", "dask")


@dataclass
class RunOptions:
    backend: str = "threads"  # "threads" | "processes" | "dask"
    workers: int | None = None  # None: threads min(32, cores + 4); processes: cores; dask: see worker_count
    scheduler: str | None = None  # dask: a running cluster's scheduler address; None starts a local cluster
    use_cache: bool = True  # False: neither read nor write the result cache
    targets: Sequence[str] = ()  # run only these and what they need
    rerun: Sequence[str] = ()  # force these and their descendants to execute (results are still cached)
    overrides: dict[str, Any] = field(default_factory=dict)  # pipeline parameter overrides (--set)
    file: str | None = None  # the pipeline file, recorded in history (and its folder importable)
    record: bool = True  # write the run to the run store

    def worker_count(self) -> int:
        """The worker count asked for. Dask: local cluster workers (default 2); a remote cluster has its own."""
        if self.workers is not None:
            return max(1, int(self.workers))
        if self.backend == "dask":
            return 2
        cores = os.cpu_count() or 1
        return cores if self.backend == "processes" else min(32, cores + 4)
