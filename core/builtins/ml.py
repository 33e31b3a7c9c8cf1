"""Machine-learning nodes built on NumPy only, so the example pipelines run on a fresh machine.

They cover the shape of a real workflow (data, split, scale, train with a streamed loss, sweep a
hyper-parameter with a streamed score, evaluate, export) without pulling in a large ML framework.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..atomic import atomic_write_text
from ..context import Context
from ..decorator import node


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
def make_regression(n_samples: int = 500, n_features: int = 4, noise: float = 0.1, seed: int = 0) -> tuple:
    """A synthetic linear regression data set with Gaussian noise."""
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
    ports={"test_size": {"minimum": 0.01, "maximum": 0.99}},
)
def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.25, seed: int = 0) -> tuple:
    """Shuffle and split features and targets into train and test parts."""
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
)
def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple:
    """Scale features to zero mean and unit variance, fitted on the training part only."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


def _fit(
    X: np.ndarray, y: np.ndarray, epochs: int, learning_rate: float, l2: float, ctx: Context | None
) -> dict:
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
        "epochs": {"minimum": 1, "maximum": 1_000_000},
        "learning_rate": {"minimum": 0.0, "maximum": 10.0},
    },
)
def train_linear(
    X: np.ndarray,
    y: np.ndarray,
    ctx: Context,
    epochs: int = 200,
    learning_rate: float = 0.05,
    l2: float = 0.0,
) -> dict:
    """Fit a linear model by gradient descent, streaming the training loss per epoch."""
    return _fit(X, y, epochs, learning_rate, l2, ctx)


def predict(model: dict, X: np.ndarray) -> np.ndarray:
    return X @ np.asarray(model["coef"]) + model["intercept"]


def _scores(model: dict, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    pred = predict(model, X)
    mse = float(np.mean((pred - y) ** 2))
    var = float(np.var(y))
    return {"mse": mse, "r2": 1.0 - mse / var if var else 0.0}


@node(name="ml.evaluate", category="ml", icon="fa5s.check-double", output_types={"result": "dict"})
def evaluate(model: dict, X: np.ndarray, y: np.ndarray) -> dict:
    """Mean squared error and R² of a linear model on a data set."""
    return _scores(model, X, y)


@node(
    name="ml.sweep_l2",
    category="ml",
    icon="fa5s.search",
    outputs=["best_model", "best_l2", "scores"],
    output_types={"best_model": "dict", "best_l2": "float", "scores": "dict"},
)
def sweep_l2(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    ctx: Context,
    values: list = [0.0, 0.001, 0.01, 0.1, 1.0],  # noqa: B006 - a JSON default, never mutated
    epochs: int = 100,
    metric: Literal["r2", "mse"] = "r2",
) -> tuple:
    """Try each L2 strength, stream the validation score per trial, keep the best model."""
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
def export_model(model: dict, path: Path, metrics: Any = None) -> str:
    """Save a model (and optional metrics) as JSON; outputs the path."""
    atomic_write_text(path, json.dumps({"model": model, "metrics": metrics}, indent=2) + "\n")
    return str(path)
