"""Engine overhead and process speed-up, measured in one run against Dask and a bare loop.

1. Per-node overhead on a 2,000-node chain and a 2,000-node fan-out of trivial functions, cache off
   (run history on, as in real use): Nodeloom's threads backend vs `dask.threaded.get` on the same
   graph, both minus a bare Python loop calling the same functions. Target: at most half of Dask's.
2. Speed-up of 4 CPU-bound nodes on the `processes` backend vs calling them one after another.
   Target: >= 1.7x on 2 cores.

Run: `.venv/bin/python benchmarks/bench_engine.py [--nodes N] [--repeat R]`. Prints measured ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
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


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def overhead(name: str, n: int, repeat: int, registry: Registry) -> tuple[float, float]:
    pipeline = chain_pipeline(n) if name == "chain" else fanout_pipeline(n)
    dsk, keys = chain_dask(n) if name == "chain" else fanout_dask(n)
    bare = bare_chain if name == "chain" else bare_fanout
    options = RunOptions(backend="threads", use_cache=False)

    def engine() -> None:
        result = run_pipeline(pipeline, options, registry=registry)
        assert result.status == "succeeded", result.status

    t_bare = best(lambda: bare(n), repeat)
    t_engine = best(engine, repeat)
    t_dask = best(lambda: dask.threaded.get(dsk, keys), repeat)
    ours = (t_engine - t_bare) / n * 1e6
    theirs = (t_dask - t_bare) / n * 1e6
    print(
        f"{name:7s} {n} nodes: bare loop {t_bare * 1e3:7.2f} ms | nodeloom threads {t_engine * 1e3:7.1f} ms "
        f"({ours:5.1f} us/node) | dask.threaded.get {t_dask * 1e3:7.1f} ms ({theirs:5.1f} us/node) | "
        f"overhead ratio nodeloom/dask = {ours / theirs:.2f} (target <= 0.50)"
    )
    return ours, theirs


def speedup(registry: Registry, work: int) -> float:
    nodes = [Node(f"burn{i}", "bench.burn", params={"n": work}) for i in range(4)]
    pipeline = Pipeline("burn", nodes=nodes)
    start = time.perf_counter()
    for _ in range(4):
        burn(work)
    t_seq = time.perf_counter() - start
    options = RunOptions(backend="processes", use_cache=False, workers=os.cpu_count() or 1)
    start = time.perf_counter()
    result = run_pipeline(pipeline, options, registry=registry)
    t_proc = time.perf_counter() - start
    assert result.status == "succeeded", result.to_json()
    ratio = t_seq / t_proc
    print(
        f"cpu     4 nodes: one after another {t_seq:.2f} s | nodeloom processes ({options.workers} workers, "
        f"incl. start-up) {t_proc:.2f} s | speed-up {ratio:.2f}x (target >= 1.7x on 2 cores; {os.cpu_count()} cores here)"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=int, default=4_000_000, help="loop length of each CPU-bound node")
    args = parser.parse_args(argv)
    registry = Registry(entry_points=False)
    registry.register(inc)
    registry.register(burn)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, dask {dask.__version__}")
    ratios = [overhead(kind, args.nodes, args.repeat, registry) for kind in ("chain", "fanout")]
    speedup(registry, args.work)
    for (ours, theirs), kind in zip(ratios, ("chain", "fanout"), strict=True):
        print(f"{kind}: nodeloom per-node overhead is {ours / theirs:.0%} of dask's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
