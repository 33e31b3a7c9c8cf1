"""Tuning nodes: the same answer as scikit-learn's own search, trials in parallel as sub-tasks of the node
(their intervals overlap on threads and on processes), a bad combination scoring NaN instead of failing,
and a cancel stopping the trials not yet started."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest
from ml_helpers import grid_search_pipeline
from nodeloom.core.builtins import ml_data, ml_models, ml_tuning
from nodeloom.core.context import Context
from nodeloom.core.engine import RunOptions, run_pipeline
from nodeloom.core.events import NodeMetric, SubtaskFinished, SubtaskStarted
from nodeloom.core.file_format import load_pipeline
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC

CTX = Context.detached()


@pytest.fixture(scope="module")
def iris() -> tuple:
    _, X, y = ml_data.load_dataset("iris")
    return X, y


def test_grid_search_matches_grid_search_cv(iris: tuple) -> None:
    X, y = iris
    space = {"C": [0.1, 1, 10], "gamma": [0.01, 0.1, 1.0]}
    events: list = []
    ctx = Context("search", emit=events.append)
    best, params, trials = ml_tuning.grid_search(
        ctx, ml_models.estimator("svm_classifier"), X, y, space, folds=3, seed=0
    )
    reference = GridSearchCV(
        SVC(random_state=0), space, cv=StratifiedKFold(3, shuffle=True, random_state=0)
    ).fit(X, y)
    assert params == reference.best_params_
    assert list(trials["score"]) == pytest.approx(list(reference.cv_results_["mean_test_score"]))
    assert list(trials["rank"]) == list(reference.cv_results_["rank_test_score"])
    assert (best.C, best.gamma) == (params["C"], params["gamma"]) and hasattr(best, "support_")  # refitted
    assert sorted(e.step for e in events if isinstance(e, NodeMetric) and e.name == "cv_score") == list(
        range(9)
    )
    json.dumps(params)  # plain Python values: the --results file shows them


def test_random_search_draws_from_ranges_and_lists(iris: tuple) -> None:
    space = {
        "C": {"low": 0.01, "high": 100, "log": True},
        "kernel": ["rbf", "linear"],
        "degree": {"low": 2, "high": 5, "int": True},
    }
    candidates = ml_tuning.random_candidates(space, 20, seed=4)
    assert len(candidates) == 20 and candidates == ml_tuning.random_candidates(space, 20, seed=4)
    assert all(
        0.01 <= c["C"] <= 100 and c["kernel"] in ("rbf", "linear") and c["degree"] in (2, 3, 4, 5)
        for c in candidates
    )
    assert all(isinstance(c["degree"], int) for c in candidates)
    X, y = iris
    _, params, trials = ml_tuning.random_search(
        CTX, ml_models.estimator("svm_classifier"), X, y, space, n_trials=6, folds=3
    )
    assert len(trials) == 6 and set(params) == {"C", "kernel", "degree"}
    with pytest.raises(ValueError, match="a range is"):
        ml_tuning.random_candidates({"C": {"min": 1, "max": 2}}, 2, 0)


def test_a_bad_combination_scores_nan_and_a_bad_key_fails_at_once(iris: tuple) -> None:
    X, y = iris
    _, params, trials = ml_tuning.grid_search(
        CTX, ml_models.estimator("svm_classifier"), X, y, {"C": [1, -1]}
    )
    assert params == {"C": 1}
    failed = trials[trials["param_C"] == -1].iloc[0]
    assert math.isnan(failed["score"]) and "InvalidParameterError" in failed["error"] and failed["rank"] == 2
    with pytest.raises(ValueError, match="space: SVC has no parameter 'c'; did you mean 'C'"):
        ml_tuning.grid_search(CTX, ml_models.estimator("svm_classifier"), X, y, {"c": [1]})
    with pytest.raises(ValueError, match="every trial failed; the first: InvalidParameterError"):
        ml_tuning.grid_search(CTX, ml_models.estimator("svm_classifier"), X, y, {"C": [-1, -2]})


def _search_pipeline(tmp_path: Path, trials: int) -> Path:
    search = {"space": {"n_estimators": [40 + 5 * i for i in range(trials)]}, "folds": 2}
    return grid_search_pipeline(tmp_path / "search.json", "breast_cancer", "random_forest_classifier", search)


def _intervals(events: list) -> list[tuple[float, float]]:
    started = {e.index: e.time for e in events if isinstance(e, SubtaskStarted)}
    return sorted(
        (started[e.index], e.time) for e in events if isinstance(e, SubtaskFinished) and e.index in started
    )


@pytest.mark.parametrize("backend", ["threads", pytest.param("processes", marks=pytest.mark.slow)])
def test_trials_run_in_parallel_on_the_runs_backend(tmp_path: Path, backend: str) -> None:
    events: list = []
    result = run_pipeline(
        load_pipeline(_search_pipeline(tmp_path, 4)),
        RunOptions(backend=backend, workers=2, use_cache=False),
        on_event=events.append,
    )
    assert result.status == "succeeded", {k: v.error for k, v in result.nodes.items()}
    intervals = _intervals(events)
    assert len(intervals) == 4
    assert any(later[0] < earlier[1] for earlier, later in zip(intervals, intervals[1:], strict=False)), (
        intervals
    )
    labels = {e.label for e in events if isinstance(e, SubtaskStarted)}
    assert labels == {f"n_estimators={40 + 5 * i}" for i in range(4)}
    assert len(result.nodes["search"].outputs["trials"]) == 4


def test_cancel_stops_the_remaining_trials(tmp_path: Path) -> None:
    cancel = threading.Event()
    events: list = []

    def on_event(event: object) -> None:
        events.append(event)
        if isinstance(event, SubtaskFinished):
            cancel.set()

    result = run_pipeline(
        load_pipeline(_search_pipeline(tmp_path, 12)),
        RunOptions(backend="threads", workers=2, use_cache=False),
        on_event=on_event,
        cancel=cancel,
    )
    assert result.status == "cancelled" and str(result.nodes["search"].status) == "cancelled"
    assert len([e for e in events if isinstance(e, SubtaskStarted)]) < 12
