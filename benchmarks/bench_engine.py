"""Engine overhead and process speed-up, measured in one run against Dask and a bare loop.

1. Per-node overhead on a 2,000-node chain and a 2,000-node fan-out of trivial functions, cache off
   (run history on, as in real use): Nodeloom's threads backend vs `dask.threaded.get` on the same
   graph, both minus a bare Python loop calling the same functions. Target: at most half of Dask's.
   The three are timed in turn on each repeat, each after a pause and a garbage collection, and the
   best of each is kept.
2. Speed-up of 4 CPU-bound nodes (about 1.5 s each) on the `processes` backend vs calling them one after
   another, worker start-up included: the first run in a process (also starting multiprocessing's fork
   server, as every CLI run does) and a later one (the fork server already up, as in the editor).
   Target: >= 1.7x on 2 cores. Measure on an idle machine: the load average is printed.

Run: `.venv/bin/python benchmarks/bench_engine.py [--nodes N] [--repeat R] [--node-seconds S]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
from typing import Any

import dask.threaded
from nodeloom.core import Edge, Node, Pipeline, Registry, node
from nodeloom.core.engine import RunOptions, run_pipeline


@node(name="bench.inc")
def inc(x: int = 0) -> int:
    return x + 1


@node(name="bench.burn")
def burn(n: int = 4_000_000) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def chain_pipeline(n: int) -> Pipeline:
    nodes = [Node(f"n{i}", "bench.inc") for i in range(n)]
    edges = [Edge(f"n{i}", "result", f"n{i + 1}", "x") for i in range(n - 1)]
    return Pipeline("chain", nodes=nodes, edges=edges)


def fanout_pipeline(n: int) -> Pipeline:
    nodes = [Node("src", "bench.inc")] + [Node(f"f{i}", "bench.inc") for i in range(n - 1)]
    edges = [Edge("src", "result", f"f{i}", "x") for i in range(n - 1)]
    return Pipeline("fanout", nodes=nodes, edges=edges)


def chain_dask(n: int) -> tuple[dict[str, Any], list[str]]:
    dsk: dict[str, Any] = {"n0": (inc, 0)}
    for i in range(1, n):
        dsk[f"n{i}"] = (inc, f"n{i - 1}")
    return dsk, [f"n{n - 1}"]


def fanout_dask(n: int) -> tuple[dict[str, Any], list[str]]:
    dsk: dict[str, Any] = {"src": (inc, 0)}
    for i in range(n - 1):
        dsk[f"f{i}"] = (inc, "src")
    return dsk, [f"f{i}" for i in range(n - 1)]


def bare_chain(n: int) -> None:
    x = 0
    for _ in range(n):
        x = inc(x)


def bare_fanout(n: int) -> None:
    src = inc(0)
    for _ in range(n - 1):
        inc(src)


def overhead(name: str, n: int, repeat: int, registry: Registry) -> tuple[float, float]:
    """Per-node overhead of nodeloom and of dask, each minus the bare loop; best of `repeat`, interleaved
    (bare, nodeloom, dask, bare, ...) so a busy moment on the machine hits all three alike."""
    pipeline = chain_pipeline(n) if name == "chain" else fanout_pipeline(n)
    dsk, keys = chain_dask(n) if name == "chain" else fanout_dask(n)
    bare = bare_chain if name == "chain" else bare_fanout
    options = RunOptions(backend="threads", use_cache=False)

    def engine() -> None:
        result = run_pipeline(pipeline, options, registry=registry)
        assert result.status == "succeeded", result.status

    timings: dict[str, list[float]] = {"bare": [], "engine": [], "dask": []}
    for _ in range(repeat):
        for key, fn in (
            ("bare", lambda: bare(n)),
            ("engine", engine),
            ("dask", lambda: dask.threaded.get(dsk, keys)),
        ):
            settle()
            start = time.perf_counter()
            fn()
            timings[key].append(time.perf_counter() - start)
    t_bare, t_engine, t_dask = (min(timings[k]) for k in ("bare", "engine", "dask"))
    ours = (t_engine - t_bare) / n * 1e6
    theirs = (t_dask - t_bare) / n * 1e6
    print(
        f"{name:7s} {n} nodes: bare loop {t_bare * 1e3:7.2f} ms | nodeloom threads {t_engine * 1e3:7.1f} ms "
        f"({ours:5.1f} us/node) | dask.threaded.get {t_dask * 1e3:7.1f} ms ({theirs:5.1f} us/node) | "
        f"overhead ratio nodeloom/dask = {ours / theirs:.2f} (target <= 0.50)"
    )
    return ours, theirs


def settle() -> None:
    """Start each timing clean: the previous run's background work done (the run store's writer closing
    its connection, exiting threads) and its garbage collected, so no timing pays for another's."""
    time.sleep(0.05)
    gc.collect()


def calibrate(seconds: float) -> int:
    """The loop length of `burn` that takes about `seconds` here."""
    start = time.perf_counter()
    burn(500_000)
    return int(500_000 * seconds / max(time.perf_counter() - start, 1e-6))


BURN_SOURCE = """
import sys, time
start = time.perf_counter()
total = 0
for i in range(int(sys.argv[1])):
    total += i * i % 7
print(time.perf_counter() - start)
"""


def machine_ceiling(work: int, processes: int) -> float:
    """How much faster `processes` bare interpreters run the loop side by side than one after another.

    Other work on a shared machine takes cores away; this says how much parallelism there is to have.
    """
    alone = float(
        subprocess.run(
            [sys.executable, "-c", BURN_SOURCE, str(work)], capture_output=True, text=True, check=True
        ).stdout
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", BURN_SOURCE, str(work)], stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    together = max(float(proc.communicate()[0]) for proc in procs)
    return alone * processes / together


def speedup(registry: Registry, work: int) -> tuple[float, float]:
    """4 CPU-bound nodes: one after another in this process, then twice on `processes`.

    Every run starts its own worker processes (included in both timings). The first run in a process
    also starts multiprocessing's fork server, which imports the engine and what the main script
    imports (about 0.3-0.6 s); the CLI pays that on every run, the editor once per session.
    """
    nodes = [Node(f"burn{i}", "bench.burn", params={"n": work}) for i in range(4)]
    pipeline = Pipeline("burn", nodes=nodes)
    start = time.perf_counter()
    for _ in range(4):
        burn(work)
    t_seq = time.perf_counter() - start
    options = RunOptions(backend="processes", use_cache=False, workers=os.cpu_count() or 1)
    ceiling = machine_ceiling(work, options.workers or 1)
    print(
        f"cpu     the machine now: {options.workers} plain Python processes running one such loop each at once "
        f"finish {ceiling:.2f}x faster than one after another (the best any engine can do here now)"
    )
    ratios = []
    for label in ("first run, fork server start included", "later run, fork server running"):
        start = time.perf_counter()
        result = run_pipeline(pipeline, options, registry=registry)
        t_proc = time.perf_counter() - start
        assert result.status == "succeeded", result.to_json()
        ratios.append(t_seq / t_proc)
        print(
            f"cpu     4 nodes: one after another {t_seq:.2f} s | nodeloom processes ({options.workers} workers, "
            f"{label}) {t_proc:.2f} s | speed-up {ratios[-1]:.2f}x (target >= 1.7x on 2 cores; "
            f"{os.cpu_count()} cores here)"
        )
    return ratios[0], ratios[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--node-seconds", type=float, default=1.5, help="how long each CPU-bound node runs (calibrated here)"
    )
    args = parser.parse_args(argv)
    registry = Registry(entry_points=False)
    registry.register(inc)
    registry.register(burn)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.2f} "
        f"(other work on the machine skews the results), dask {dask.__version__}"
    )
    ratios = [overhead(kind, args.nodes, args.repeat, registry) for kind in ("chain", "fanout")]
    speedup(registry, calibrate(args.node_seconds))
    for (ours, theirs), kind in zip(ratios, ("chain", "fanout"), strict=True):
        print(f"{kind}: nodeloom per-node overhead is {ours / theirs:.0%} of dask's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
