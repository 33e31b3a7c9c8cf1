"""Deprecated: the NumPy-only demo nodes of the first release, kept so pipelines saved with them still
load and run. New pipelines use the pandas/scikit-learn library (data.*, features.*, models.*,
tuning.*, evaluation.*); each node here says which node replaces it, and logs a warning when it runs.

NumPy is imported inside the nodes (as in the rest of the library), so registering them costs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from ..atomic import atomic_write_text
from ..context import Context
from ..decorator import node

ARRAY = "numpy.ndarray"


def _deprecated(ctx: Context, replacement: str) -> None:
    ctx.log(f"this NumPy demo node is deprecated: use {replacement}", "warning")


@node(
    name="ml.make_regression",
    category="ml",
    icon="fa5s.database",
    outputs=["X", "y"],
    output_types={"X": "numpy.ndarray", "y": "numpy.ndarray"},
    ports={
        "n_samples": {"minimum": 2, "maximum": 10_000_000},
        "n_features": {"minimum": 1, "maximum": 10_000},
    },
)
def make_regression(
    ctx: Context, n_samples: int = 500, n_features: int = 4, noise: float = 0.1, seed: int = 0
) -> tuple:
    """A synthetic linear regression data set with Gaussian noise (deprecated demo: use data.load_dataset)."""
    import numpy as np

    _deprecated(ctx, "data.load_dataset")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    coef = rng.uniform(-3, 3, size=n_features)
    y = X @ coef + 0.5 + rng.normal(scale=noise, size=n_samples)
    return X, y


@node(
    name="ml.train_test_split",
    category="ml",
    icon="fa5s.cut",
    outputs=["X_train", "X_test", "y_train", "y_test"],
    output_types={k: "numpy.ndarray" for k in ("X_train", "X_test", "y_train", "y_test")},
    ports={"X": {"type": ARRAY}, "y": {"type": ARRAY}, "test_size": {"minimum": 0.01, "maximum": 0.99}},
)
def train_test_split(ctx: Context, X: Any, y: Any, test_size: float = 0.25, seed: int = 0) -> tuple:
    """Shuffle and split arrays into train and test parts (deprecated demo: use features.train_test_split)."""
    import numpy as np

    _deprecated(ctx, "features.train_test_split")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, int(round(len(X) * test_size)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


@node(
    name="ml.standardize",
    category="ml",
    icon="fa5s.sliders-h",
    outputs=["X_train", "X_test"],
    output_types={"X_train": "numpy.ndarray", "X_test": "numpy.ndarray"},
    ports={"X_train": {"type": ARRAY}, "X_test": {"type": ARRAY}},
)
def standardize(ctx: Context, X_train: Any, X_test: Any) -> tuple:
    """Scale arrays to zero mean and unit variance, fitted on the training part only (deprecated demo: use
    features.scale)."""
    _deprecated(ctx, "features.scale")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


def _fit(X: Any, y: Any, epochs: int, learning_rate: float, l2: float, ctx: Context | None) -> dict:
    import numpy as np

    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    for epoch in range(epochs):
        if ctx is not None and ctx.cancelled:
            raise InterruptedError("cancelled")
        residual = Xb @ w - y
        grad = Xb.T @ residual / len(y) + l2 * np.r_[w[:-1], 0.0]
        w -= learning_rate * grad
        if ctx is not None:
            ctx.metric("loss", float(np.mean(residual**2)), step=epoch)
            ctx.progress((epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}")
    return {"coef": w[:-1].tolist(), "intercept": float(w[-1])}


@node(
    name="ml.train_linear",
    category="ml",
    icon="fa5s.brain",
    outputs=["model"],
    output_types={"model": "dict"},
    ports={
        "X": {"type": ARRAY},
        "y": {"type": ARRAY},
        "epochs": {"minimum": 1, "maximum": 1_000_000},
        "learning_rate": {"minimum": 0.0, "maximum": 10.0},
    },
)
def train_linear(
    X: Any,
    y: Any,
    ctx: Context,
    epochs: int = 200,
    learning_rate: float = 0.05,
    l2: float = 0.0,
) -> dict:
    """Fit a linear model by gradient descent, streaming the training loss per epoch (deprecated demo: use
    models.train_iterative)."""
    _deprecated(ctx, "models.estimator + models.train_iterative")
    return _fit(X, y, epochs, learning_rate, l2, ctx)


def predict(model: dict, X: Any) -> Any:
    import numpy as np

    return X @ np.asarray(model["coef"]) + model["intercept"]


def _scores(model: dict, X: Any, y: Any) -> dict[str, float]:
    import numpy as np

    pred = predict(model, X)
    mse = float(np.mean((pred - y) ** 2))
    var = float(np.var(y))
    return {"mse": mse, "r2": 1.0 - mse / var if var else 0.0}


@node(
    name="ml.evaluate",
    category="ml",
    icon="fa5s.check-double",
    output_types={"result": "dict"},
    ports={"X": {"type": ARRAY}, "y": {"type": ARRAY}},
)
def evaluate(ctx: Context, model: dict, X: Any, y: Any) -> dict:
    """Mean squared error and R² of a linear model on a data set (deprecated demo: use
    evaluation.regression_metrics)."""
    _deprecated(ctx, "evaluation.regression_metrics")
    return _scores(model, X, y)


@node(
    name="ml.sweep_l2",
    category="ml",
    icon="fa5s.search",
    outputs=["best_model", "best_l2", "scores"],
    output_types={"best_model": "dict", "best_l2": "float", "scores": "dict"},
    ports={k: {"type": ARRAY} for k in ("X_train", "y_train", "X_val", "y_val")},
)
def sweep_l2(
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    ctx: Context,
    values: list = [0.0, 0.001, 0.01, 0.1, 1.0],  # noqa: B006 - a JSON default, never mutated
    epochs: int = 100,
    metric: Literal["r2", "mse"] = "r2",
) -> tuple:
    """Try each L2 strength, stream the validation score per trial, keep the best model (deprecated demo:
    use tuning.grid_search)."""
    _deprecated(ctx, "tuning.grid_search")
    scores: dict[str, float] = {}
    best: tuple[float, float, dict] | None = None
    for trial, l2 in enumerate(values):
        model = _fit(X_train, y_train, epochs, 0.05, float(l2), None)
        score = _scores(model, X_val, y_val)[metric]
        scores[str(l2)] = score
        ctx.metric(f"val_{metric}", score, step=trial)
        ctx.progress((trial + 1) / len(values), f"l2={l2}: {metric}={score:.4f}")
        better = best is None or (score > best[0] if metric == "r2" else score < best[0])
        if better:
            best = (score, float(l2), model)
    if best is None:
        raise ValueError("values is empty: nothing to sweep")
    return best[2], best[1], scores


@node(name="ml.export_model", category="ml", icon="fa5s.file-export", ports={"path": {"widget": "path"}})
def export_model(ctx: Context, model: dict, path: Path, metrics: Any = None) -> str:
    """Save a demo model (and optional metrics) as JSON; outputs the path (deprecated demo: use models.save)."""
    _deprecated(ctx, "models.save")
    atomic_write_text(path, json.dumps({"model": model, "metrics": metrics}, indent=2) + "\n")
    return str(path)
