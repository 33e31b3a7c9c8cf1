"""Parallel tuning: a 24-trial grid search on digits through the `tuning.grid_search` node on the
processes backend (2 workers) against scikit-learn's own `GridSearchCV(n_jobs=2)` on the same grid, the
same 3 stratified folds and the same data, in one run. Target: the node takes at most 1.2x as long.

Both sides start their worker processes inside the timing (joblib's loky pool is fresh in this
process; the run starts its map workers), and both refit the best combination on all the data. The
node's time is its own duration in the run (loading the data set is another node); the whole run's
wall time is printed too. Measure on an idle machine: the load average is printed.

Run: `.venv/bin/python benchmarks/bench_tuning.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

# the pipeline is the ML tests' own grid search (tests/fixtures/ml_helpers.py), here on digits with an SVM
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from ml_helpers import grid_search_pipeline  # noqa: E402

GRID = {"C": [0.3, 1, 3, 10, 30, 100], "gamma": [0.0001, 0.0005, 0.001, 0.005]}
FOLDS = 3


def pipeline_file(folder: Path) -> Path:
    search = {"space": GRID, "folds": FOLDS, "seed": 0}
    return grid_search_pipeline(
        folder / "bench_tuning.json", "digits", "svm_classifier", search, "bench-tuning"
    )


def time_node(path: Path) -> tuple[float, float, dict]:
    from nodeloom.core.engine import RunOptions, run_pipeline
    from nodeloom.core.file_format import load_pipeline

    started = time.perf_counter()
    result = run_pipeline(
        load_pipeline(path), RunOptions(backend="processes", workers=2, use_cache=False, record=False)
    )
    wall = time.perf_counter() - started
    if result.status != "succeeded":
        raise SystemExit(f"run {result.status}: {[(k, r.error) for k, r in result.nodes.items() if r.error]}")
    search = result.nodes["search"]
    return search.duration_s, wall, search.outputs["best_params"]


def time_sklearn() -> tuple[float, dict]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True, as_frame=True)
    started = time.perf_counter()
    search = GridSearchCV(
        SVC(random_state=0), GRID, cv=StratifiedKFold(FOLDS, shuffle=True, random_state=0), n_jobs=2
    ).fit(X, y)
    return time.perf_counter() - started, search.best_params_


def main() -> None:
    trials = len(GRID["C"]) * len(GRID["gamma"])
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("NODELOOM_HOME", folder)
        node_s, wall_s, node_best = time_node(pipeline_file(Path(folder)))
    sk_s, sk_best = time_sklearn()
    print(f"{trials} trials x {FOLDS} folds on digits, 2 workers")
    print(f"  tuning.grid_search node (processes): {node_s:6.2f} s   (whole run {wall_s:.2f} s)")
    print(f"  GridSearchCV(n_jobs=2):              {sk_s:6.2f} s")
    print(f"  best params: node {node_best}, scikit-learn {sk_best}")
    ratio = node_s / sk_s
    print(f"ratio node / GridSearchCV: {ratio:.2f}x (target <= 1.2x): {'ok' if ratio <= 1.2 else 'SLOWER'}")


if __name__ == "__main__":
    main()
