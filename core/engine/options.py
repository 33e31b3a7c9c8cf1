"""How to run a pipeline: backend, worker count, cache use, target selection, overrides.

`RunOptions` is plain data shared by the CLI, the editor and tests. Defaults match the design:
the `threads` backend with as many workers as `concurrent.futures` would use (min(32, cores + 4), so
I/O-bound branches overlap), or one process per core on `processes`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("threads", "processes")


@dataclass
class RunOptions:
    backend: str = "threads"  # "threads" | "processes"  (room for "dask")
    workers: int | None = None  # None: threads min(32, cores + 4); processes: cores
    use_cache: bool = True  # False: neither read nor write the result cache
    targets: Sequence[str] = ()  # run only these and what they need
    rerun: Sequence[str] = ()  # force these and their descendants to execute (results are still cached)
    overrides: dict[str, Any] = field(default_factory=dict)  # pipeline parameter overrides (--set)
    file: str | None = None  # the pipeline file, recorded in history (and its folder importable)
    record: bool = True  # write the run to the run store

    def worker_count(self) -> int:
        if self.workers is not None:
            return max(1, int(self.workers))
        cores = os.cpu_count() or 1
        return cores if self.backend == "processes" else min(32, cores + 4)
