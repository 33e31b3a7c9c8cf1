"""Tuning nodes: grid search and random search over a JSON parameter space, trials in parallel.

Each trial (one parameter combination, scored by K-fold cross-validation) is one item of `ctx.map`, so
the trials run on the run's own backend (worker threads, worker processes or the Dask cluster), each a
bar on the timeline and, as it finishes, a point of the `score` metric. A trial whose parameters make
the estimator fail scores NaN and records its error in the trials table instead of failing the node;
a cancel stops the trials not yet started. The best combination is refitted on all of X and y.

Spaces: grid search takes {"param": [values, ...]} (or a list of such objects: several grids); random
search also takes ranges {"low": 0.001, "high": 100, "log": true} (add "int": true for whole numbers).
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..context import Context
from .ml_common import MODEL, SERIES, TABLE, as_series, as_table, ml_node
from .ml_models import check_params, fresh_copy, make_folds, make_scorer, model_name

TRIALS_OUTPUTS = {"best_model": MODEL, "best_params": "dict", "trials": TABLE}


def run_trial(item: tuple) -> dict[str, Any]:
    """One trial, in a worker: fit and score the estimator with `params` on every fold.

    Module-level and self-contained because worker processes receive it pickled. Never raises for a bad
    combination: the error goes into the result (score NaN), so one failing trial does not stop a search.
    """
    index, model, params, X, y, folds, scoring = item
    started = time.perf_counter()
    scores: list[float] = []
    try:
        scorer = make_scorer(model, scoring)
        for train, test in folds:
            learner = fresh_copy(model).set_params(**params)
            if y is None:
                learner.fit(X.iloc[train])
                scores.append(float(scorer(learner, X.iloc[test])))
            else:
                learner.fit(X.iloc[train], y.iloc[train])
                scores.append(float(scorer(learner, X.iloc[test], y.iloc[test])))
        error = ""
    except Exception as exc:  # noqa: BLE001 - a bad combination scores NaN, recorded with its error
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    mean = float(sum(scores) / len(scores)) if scores and not error else math.nan
    std = (
        float((sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5)
        if scores and not error
        else math.nan
    )
    return {
        "index": index,
        "params": params,
        "score": mean,
        "score_std": std,
        "seconds": time.perf_counter() - started,
        "error": error,
    }


def params_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items()) or "defaults"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 30 else text[:29] + "…"


def search(
    ctx: Context,
    model: Any,
    X: Any,
    y: Any,
    candidates: list[dict[str, Any]],
    folds: int,
    scoring: str,
    seed: int,
) -> tuple:
    """Score every candidate in parallel, then refit the best on all of X, y."""
    import numpy as np
    import pandas as pd

    if not candidates:
        raise ValueError("space: no parameter combination to try")
    for params in candidates:
        check_params(model, params, "space")
    frame = as_table(X, "X").reset_index(drop=True)
    target = as_series(y, "y").reset_index(drop=True) if y is not None else None
    if target is not None and len(target) != len(frame):
        raise ValueError(f"X has {len(frame)} rows but y has {len(target)}")
    make_scorer(model, scoring)  # an unknown scorer fails once here, not in every trial
    splitter = make_folds(model, target, folds, True, seed)
    splits = [(np.asarray(a), np.asarray(b)) for a, b in splitter.split(frame, target)]
    items = [(i, model, params, frame, target, splits, scoring) for i, params in enumerate(candidates)]
    done = [0]
    metric = f"cv_{scoring}" if scoring else "cv_score"

    def on_result(index: int, trial: dict[str, Any]) -> None:
        done[0] += 1
        if not math.isnan(trial["score"]):
            ctx.metric(metric, trial["score"], step=index)
        shown = f"{trial['score']:.4f}" if not trial["error"] else f"failed ({trial['error']})"
        ctx.progress(
            done[0] / len(items), f"trial {done[0]}/{len(items)}: {params_label(trial['params'])}: {shown}"
        )

    results = ctx.map(run_trial, items, label=lambda item: params_label(item[2]), on_result=on_result)
    table = pd.DataFrame(
        [
            {
                "trial": r["index"],
                **{f"param_{k}": _cell(v) for k, v in r["params"].items()},
                "score": r["score"],
                "score_std": r["score_std"],
                "seconds": round(r["seconds"], 4),
                "error": r["error"],
            }
            for r in results
        ]
    )
    table["rank"] = table["score"].rank(ascending=False, method="min", na_option="bottom").astype(int)
    scored = [r for r in results if not math.isnan(r["score"])]
    if not scored:
        raise ValueError(f"every trial failed; the first: {results[0]['error']}")
    best = max(scored, key=lambda r: (r["score"], -r["index"]))
    best_model = fresh_copy(model).set_params(**best["params"])
    if target is None:
        best_model.fit(frame)
    else:
        best_model.fit(frame, target)
    ctx.log(
        f"best of {len(results)} trials: {params_label(best['params'])} scored {best['score']:.4f}; "
        f"{model_name(best_model)} refitted on {len(frame)} rows"
    )
    return best_model, {k: _plain(v) for k, v in best["params"].items()}, table


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a parameter value (NumPy scalars become Python numbers)."""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, list | dict | str):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _cell(value: Any) -> Any:
    value = _plain(value)
    return value if isinstance(value, int | float | str | bool) or value is None else repr(value)


def grid_candidates(space: Any) -> list[dict[str, Any]]:
    from sklearn.model_selection import ParameterGrid

    grids = space if isinstance(space, list) else [space]
    normalised = []
    for grid in grids:
        if not isinstance(grid, dict):
            raise TypeError(
                f"space: expected a JSON object of parameter -> list of values, got {type(grid).__name__}"
            )
        for key, values in grid.items():
            if isinstance(values, dict):
                raise ValueError(
                    f"space[{key!r}]: grid search takes a list of values (ranges: use random search)"
                )
        normalised.append({k: v if isinstance(v, list) else [v] for k, v in grid.items()})
    return list(ParameterGrid(normalised))


def random_candidates(space: Any, n_trials: int, seed: int) -> list[dict[str, Any]]:
    import numpy as np

    if not isinstance(space, dict):
        raise TypeError(
            f"space: expected a JSON object of parameter -> values or range, got {type(space).__name__}"
        )
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_trials):
        params = {}
        for key, spec in space.items():
            params[key] = _draw(key, spec, rng)
        out.append(params)
    return out


def _draw(key: str, spec: Any, rng: Any) -> Any:
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"space[{key!r}]: an empty list of values")
        return _plain(spec[int(rng.integers(len(spec)))])
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"low", "high", "log", "int"})
        if unknown or "low" not in spec or "high" not in spec:
            raise ValueError(f'space[{key!r}]: a range is {{"low": a, "high": b, "log": bool, "int": bool}}')
        low, high = float(spec["low"]), float(spec["high"])
        if not low <= high or (spec.get("log") and low <= 0):
            raise ValueError(f"space[{key!r}]: need low <= high (and low > 0 for a log range)")
        if spec.get("log"):
            value = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        else:
            value = float(rng.uniform(low, high))
        return int(round(value)) if spec.get("int") else value
    return spec  # a fixed value


SPACE_PORT = {"widget": "json"}
# the ports both searches take: one contract, so grid and random search cannot drift apart
SEARCH_INPUTS: dict[str, str | dict[str, Any]] = {
    "model": MODEL,
    "X": TABLE,
    "y": SERIES,
    "space": SPACE_PORT,
    "folds": {"minimum": 2, "maximum": 100},
}


@ml_node(
    "tuning.grid_search",
    icon="fa5s.th",
    inputs=SEARCH_INPUTS,
    outputs=TRIALS_OUTPUTS,
)
def grid_search(
    ctx: Context,
    model: Any,
    X: Any,
    y: Any = None,
    space: dict = {"C": [0.1, 1, 10]},  # noqa: B006 - a JSON default, never mutated
    folds: int = 3,
    scoring: str = "",
    seed: int = 0,
) -> tuple:
    """Try every combination of the parameter values in `space` (e.g. {"C": [1, 10], "gamma": [0.001, 0.01]})
    by K-fold cross-validation, the trials in parallel on the run's backend; outputs the best model
    refitted on all of X and y, its parameters, and a table of every trial."""
    candidates = grid_candidates(space)
    return search(ctx, model, X, y, candidates, folds, scoring, seed)


@ml_node(
    "tuning.random_search",
    icon="fa5s.dice",
    inputs={**SEARCH_INPUTS, "n_trials": {"minimum": 1, "maximum": 100_000}},
    outputs=TRIALS_OUTPUTS,
)
def random_search(
    ctx: Context,
    model: Any,
    X: Any,
    y: Any = None,
    space: dict = {"C": {"low": 0.01, "high": 100, "log": True}},  # noqa: B006 - a JSON default, never mutated
    n_trials: int = 10,
    folds: int = 3,
    scoring: str = "",
    seed: int = 0,
) -> tuple:
    """Try `n_trials` random combinations drawn from `space` (a list of values, or a range
    {"low": 0.01, "high": 100, "log": true}, add "int": true for whole numbers), in parallel like grid search."""
    candidates = random_candidates(space, n_trials, seed)
    return search(ctx, model, X, y, candidates, folds, scoring, seed)
