"""GUI responsiveness while the editor runs a pipeline: a CPU-bound pure-Python node, then a metrics flood.

In one process: the real editor window (canvas, Run dock with the metrics chart in view, logs, history)
and the real engine on the editor's default settings (its default backend unless --backend is given).
A QTimer ticking every 5 ms measures the event loop: the longest gap between ticks beyond the 5 ms
interval is the longest stall. Three measurements, in this order:
  idle:  the same timer with no run (the baseline);
  busy:  one node running a pure-Python busy loop (holds the GIL wherever it runs) for 5 s;
  flood: one node calling `ctx.metric` 10,000 times a second for 5 s (the chart must hold every point).
Prints each stall, the ratios to idle and the target (longest stall <= 50 ms).

    python benchmarks/bench_gui_latency.py [--rate 10000] [--seconds 5] [--backend threads|processes]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

NODE_MODULE = """
import time
from nodeloom.core import Context


def paced_metrics(ctx: Context, rate: float = 10000.0, seconds: float = 5.0) -> int:
    total = int(rate * seconds)
    start = time.perf_counter()
    for i in range(total):
        ctx.metric("value", (i % 1000) / 1000.0, step=i)
        if i % 50 == 49:
            ahead = (i + 1) / rate - (time.perf_counter() - start)
            if ahead > 0:
                time.sleep(ahead)
    return total


def busy_loop(seconds: float = 5.0) -> int:
    deadline = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < deadline:
        for i in range(10_000):
            total += i * i
    return total % 1000
"""

INTERVAL_MS = 5
TARGET_STALL_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10_000.0, help="metric events per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the node streams")
    parser.add_argument(
        "--backend", default=None, choices=["threads", "processes"], help="default: the editor's default"
    )
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(tempfile.mkdtemp(prefix="nodeloom-bench-gui-"))
    os.environ["NODELOOM_HOME"] = str(work / "home")
    (work / "bench_gui_nodes.py").write_text(NODE_MODULE)

    def pipeline_file(name: str, node: dict[str, object]) -> Path:
        doc = {"format": "nodeloom.pipeline", "version": 1, "name": name, "nodes": [node], "edges": []}
        target = work / f"{name}.json"
        target.write_text(json.dumps(doc))
        return target

    busy_path = pipeline_file(
        "bench-gui-busy",
        {
            "id": "busy",
            "type": "py:bench_gui_nodes:busy_loop",
            "params": {"seconds": args.seconds},
            "cache": False,
        },
    )
    path = pipeline_file(
        "bench-gui-latency",
        {
            "id": "stream",
            "type": "py:bench_gui_nodes:paced_metrics",
            "params": {"rate": args.rate, "seconds": args.seconds},
            "cache": False,
        },
    )

    from nodeloom.desktop.app import create_app
    from nodeloom.desktop.main_window import MainWindow
    from PySide6.QtCore import QEventLoop, QTimer

    app = create_app()  # kept: the QApplication must live as long as the window
    window = MainWindow()
    window.document.load(busy_path)
    window.show()
    controller = window.run_support
    if args.backend:
        controller.actions.set_backend(args.backend)
    backend = controller.actions.backend_name
    controller.run_dock.show()
    controller.run_dock.raise_()
    controller.run_dock.tabs.setCurrentWidget(controller.run_dock.metrics)

    def measure(seconds: float, start: object = None, until_signal: object = None) -> tuple[float, int]:
        """Run the event loop with a 5 ms timer; return (longest stall in ms, ticks)."""
        loop = QEventLoop()
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(INTERVAL_MS)
        timer.timeout.connect(tick)
        timer.start()
        if until_signal is not None:
            until_signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        if start is not None:
            QTimer.singleShot(0, start)  # type: ignore[arg-type]
        loop.exec()
        timer.stop()
        gaps = gaps[1:]  # the first tick measures the start-up, not a stall
        longest = max(gaps, default=0.0) * 1000 - INTERVAL_MS
        return max(0.0, longest), len(gaps)

    measure(0.5)  # let the window settle (first paints, fonts)
    idle_stall, idle_ticks = measure(args.seconds)
    results: list[object] = []
    controller.run_finished.connect(results.append)

    def timed_run() -> tuple[float, int, str, float]:
        results.clear()
        started = time.perf_counter()
        stall, ticks = measure(
            args.seconds * 4 + 10, start=controller.run_all, until_signal=controller.run_finished
        )
        result = results[0] if results else None
        status = str(result.status) if result is not None else "did not finish"  # type: ignore[attr-defined]
        return stall, ticks, status, time.perf_counter() - started

    busy_stall, busy_ticks, busy_status, busy_elapsed = timed_run()
    window.document.load(path)
    measure(0.5)
    flood_stall, flood_ticks, status, elapsed = timed_run()
    expected = int(args.rate * args.seconds)
    chart_points = controller.run_dock.metrics.point_count("stream", "value")

    def ratio(stall: float) -> str:
        return f"{stall / idle_stall:.1f}x idle" if idle_stall > 0 else "idle had no stall"

    print(
        f"nodeloom GUI latency benchmark (editor backend: {backend}, {args.seconds:g} s per run, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores)"
    )
    print(f"  idle:   longest stall {idle_stall:7.1f} ms  ({idle_ticks} ticks of {INTERVAL_MS} ms)")
    print(
        f"  busy:   longest stall {busy_stall:7.1f} ms  ({ratio(busy_stall)}; pure-Python busy loop, "
        f"{busy_ticks} ticks, run {busy_status} in {busy_elapsed:.2f} s)"
    )
    print(
        f"  flood:  longest stall {flood_stall:7.1f} ms  ({ratio(flood_stall)}; {args.rate:,.0f} metric "
        f"events/s, {flood_ticks} ticks, run {status} in {elapsed:.2f} s)"
    )
    worst = max(busy_stall, flood_stall)
    print(
        f"  target: longest stall <= {TARGET_STALL_MS:.0f} ms -> "
        f"{'met' if worst <= TARGET_STALL_MS else 'NOT met'} (worst {worst:.1f} ms)"
    )
    print(
        f"  metrics chart holds {chart_points:,} of {expected:,} points -> "
        f"{'all' if chart_points == expected else 'MISSING POINTS'}"
    )
    controller.close_guard()
    window.document.undo_stack.setClean()
    window.close()
    del app
    ok = status == "succeeded" and busy_status == "succeeded" and chart_points == expected
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
