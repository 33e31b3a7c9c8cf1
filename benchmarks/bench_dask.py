"""Nodeloom on Dask against plain Dask and against the processes backend, measured in one run.

A fan-out of `--nodes` (200) CPU-bound nodes (about `--node-ms` 50 ms each) from one source, on a
2-worker `LocalCluster` (one thread per worker process):
1. Nodeloom's dask backend on that cluster (`--scheduler` its address), cache off, run history on
   (as in real use);
2. the same work submitted with plain `client.map` on the same cluster (the floor: Dask's own cost);
3. Nodeloom's processes backend with 2 workers.
Target: Nodeloom on Dask within 1.2x of `client.map`. Each is timed `--repeat` times in turn after a
warm-up and the best is kept; the ratios are printed. Measure on an idle machine: the load average is
printed.

Run: `.venv/bin/python benchmarks/bench_dask.py [--nodes N] [--node-ms MS] [--repeat R]`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def burn(n: int = 1_000_000, x: int = 0) -> int:
    """CPU-bound work (pure Python: holds the GIL, so only processes run it in parallel)."""
    total = x
    for i in range(n):
        total += i * i % 7
    return total


def loops_for(ms: float) -> int:
    """How many `burn` loops take about `ms` milliseconds here."""
    n = 200_000
    begin = time.perf_counter()
    burn(n)
    per_loop = (time.perf_counter() - begin) / n
    return max(1000, int(ms / 1000 / per_loop))


def best(label: str, runs: list[float]) -> float:
    print(f"  {label:<34} best {min(runs):6.2f} s   (all: {', '.join(f'{r:.2f}' for r in runs)})")
    return min(runs)


def timed(work: Callable[[], object]) -> float:
    begin = time.perf_counter()
    work()
    return time.perf_counter() - begin


def compute_ms(stream: list[dict]) -> float:
    """Mean time the workers spent inside the tasks (ms): tells load noise from submission overhead."""
    spent = [
        sum(part["stop"] - part["start"] for part in task["startstops"] if part["action"] == "compute")
        for task in stream
    ]
    return sum(spent) / max(1, len(spent)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--node-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("NODELOOM_HOME", tempfile.mkdtemp(prefix="nodeloom-bench-dask-"))
    sys.path.insert(0, str(Path(__file__).parent))  # workers and the client import `bench_dask.burn`

    import distributed
    from bench_dask import burn as shared_burn  # the importable copy, not __main__'s
    from nodeloom.core import Edge, Node, Pipeline
    from nodeloom.core.engine import RunOptions, run_pipeline

    loops = loops_for(args.node_ms)
    nodes = [Node("src", "py:bench_dask:burn", params={"n": 1})]
    nodes += [Node(f"b{i}", "py:bench_dask:burn", params={"n": loops}) for i in range(args.nodes)]
    edges = [Edge("src", "result", f"b{i}", "x") for i in range(args.nodes)]
    fan = Pipeline("dask-fan", nodes=nodes, edges=edges)
    print(
        f"{args.nodes} CPU-bound nodes of ~{args.node_ms:g} ms ({loops} loops) on 2 workers; "
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores"
    )

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        address = cluster.scheduler_address

        def nodeloom_dask() -> None:
            result = run_pipeline(fan, RunOptions(backend="dask", scheduler=address, use_cache=False))
            assert result.status == "succeeded", result.status

        def plain_map() -> None:
            src = shared_burn(1)
            futures = client.map(shared_burn, [loops] * args.nodes, x=src, pure=False)
            client.gather(futures)

        def processes() -> None:
            result = run_pipeline(fan, RunOptions(backend="processes", workers=2, use_cache=False))
            assert result.status == "succeeded", result.status

        nodeloom_dask()  # warm-up: imports on the workers, connections
        plain_map()
        times: dict[str, list[float]] = {"dask": [], "map": [], "processes": []}
        tasks: dict[str, list[float]] = {"dask": [], "map": []}
        for i in range(args.repeat):
            order = ["dask", "map"] if i % 2 == 0 else ["map", "dask"]  # neither always goes first
            for name in order:
                with distributed.get_task_stream(client=client) as stream:
                    times[name].append(timed(nodeloom_dask if name == "dask" else plain_map))
                tasks[name].append(compute_ms(stream.data))
            times["processes"].append(timed(processes))

    ours = best("Nodeloom, dask backend", times["dask"])
    floor = best("plain client.map", times["map"])
    procs = best("Nodeloom, processes backend", times["processes"])
    ratio = ours / floor
    verdict = "OK" if ratio <= 1.2 else "MISSED"
    print(f"Nodeloom on Dask / client.map: {ratio:.2f}x (target <= 1.2x: {verdict})")
    print(f"Nodeloom on Dask / processes backend: {ours / procs:.2f}x")
    print(f"per node: Nodeloom on Dask adds {(ours - floor) / args.nodes * 1000:.2f} ms over client.map")
    mean = {name: sum(values) / len(values) for name, values in tasks.items()}
    print(
        f"mean time inside each task: {mean['dask']:.1f} ms (Nodeloom), {mean['map']:.1f} ms (client.map): "
        "a gap here is in executing the tasks (load, or CPU taken by Dask's own queueing on few cores), "
        "not in submitting them"
    )


if __name__ == "__main__":
    main()
