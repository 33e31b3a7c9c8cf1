"""Evaluation nodes: score a fitted model on held-out data, one metric or all of them, for one model or
several at once (a fan-in metrics table).

Each node takes the fitted `model` with `X` and the true `y` (the model predicts), or, instead of the
model, ready predictions `y_pred`. Metrics come out as plain Python numbers so the `--results` file
shows them as JSON. Classification: accuracy, precision, recall, F1 (`average` over classes), ROC AUC
and log loss (from probabilities, or decision scores for AUC; absent when the model gives neither).
Regression: MAE, RMSE, R2.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Literal

from .ml_common import MODEL, SERIES, TABLE, as_series, as_table, ml_node
from .ml_models import model_name, require_fitted

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse", "r2")
CLASSIFICATION = METRICS[:6]
REGRESSION = METRICS[6:]
EVAL_INPUTS = {"model": MODEL, "X": TABLE, "y": SERIES, "y_pred": SERIES}
# several fitted models (fan-in on `models`) compared on the same held-out data: the metrics table, ROC
MODELS_EVAL_INPUTS = {"models": MODEL, "X": TABLE, "y": SERIES}
Average = Literal["weighted", "macro", "micro", "binary"]


def predictions(model: Any, X: Any, y_pred: Any) -> Any:
    """y_pred when given, else the fitted model's predictions for X."""
    import numpy as np

    if y_pred is not None:
        return np.asarray(as_series(y_pred, "y_pred"))
    if model is None or X is None:
        raise ValueError("connect model and X (the model predicts), or y_pred")
    require_fitted(model)
    return np.asarray(model.predict(as_table(X, "X")))


def scores_for_auc(model: Any, X: Any) -> tuple[Any, Any] | None:
    """(probabilities or decision scores, classes) for ROC AUC and log loss; None when unavailable."""
    if model is None or X is None:
        return None
    frame = as_table(X, "X")
    if hasattr(model, "predict_proba"):
        try:
            return model.predict_proba(frame), model.classes_
        except (AttributeError, NotImplementedError):
            pass
    if hasattr(model, "decision_function"):
        return model.decision_function(frame), model.classes_
    return None


def is_classification(model: Any, y: Any) -> bool:
    """A classifier model, or (no model) a target of labels rather than continuous numbers."""
    import pandas as pd

    if model is not None:
        from sklearn.base import is_classifier, is_regressor

        if is_classifier(model):
            return True
        if is_regressor(model):
            return False
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return True
    return bool(pd.api.types.is_integer_dtype(y) and y.nunique() <= max(20, int(len(y) ** 0.5)))


def classification_scores(
    model: Any, X: Any, y: Any, y_pred: Any, average: str = "weighted"
) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics

    truth = as_series(y, "y")
    pred = predictions(model, X, y_pred)
    if len(pred) != len(truth):
        raise ValueError(f"y has {len(truth)} rows but the predictions have {len(pred)}")
    labels = np.unique(np.concatenate([np.asarray(truth), pred]))
    avg = average if not (average == "binary" and len(labels) > 2) else "weighted"
    out = {
        "accuracy": metrics.accuracy_score(truth, pred),
        "precision": metrics.precision_score(truth, pred, average=avg, zero_division=0),
        "recall": metrics.recall_score(truth, pred, average=avg, zero_division=0),
        "f1": metrics.f1_score(truth, pred, average=avg, zero_division=0),
    }
    scored = scores_for_auc(model, X) if y_pred is None else None
    if scored is not None:
        values, classes = scored
        try:
            if values.ndim == 1 or values.shape[1] == 2:
                positive = values if values.ndim == 1 else values[:, 1]
                out["roc_auc"] = metrics.roc_auc_score(truth, positive)
            else:
                out["roc_auc"] = metrics.roc_auc_score(truth, values, multi_class="ovr", labels=classes)
        except ValueError:
            pass  # e.g. one class only in y: AUC is undefined
        if hasattr(model, "predict_proba") and values.ndim == 2:
            with contextlib.suppress(ValueError):
                out["log_loss"] = metrics.log_loss(truth, values, labels=classes)
    return {k: float(v) for k, v in out.items()}


def regression_scores(model: Any, X: Any, y: Any, y_pred: Any) -> dict[str, float]:
    from sklearn import metrics

    truth = as_series(y, "y")
    pred = predictions(model, X, y_pred)
    if len(pred) != len(truth):
        raise ValueError(f"y has {len(truth)} rows but the predictions have {len(pred)}")
    return {
        "mae": float(metrics.mean_absolute_error(truth, pred)),
        "rmse": float(math.sqrt(metrics.mean_squared_error(truth, pred))),
        "r2": float(metrics.r2_score(truth, pred)),
    }


@ml_node("evaluation.classification_metrics", icon="fa5s.check-double", inputs=EVAL_INPUTS, outputs="dict")
def classification_metrics(
    y: Any, model: Any = None, X: Any = None, y_pred: Any = None, average: Average = "weighted"
) -> dict:
    """Accuracy, precision, recall, F1, ROC AUC and log loss of a classifier on held-out data (F1 and
    friends averaged over classes by `average`)."""
    return classification_scores(model, X, y, y_pred, average)


@ml_node("evaluation.regression_metrics", icon="fa5s.check-double", inputs=EVAL_INPUTS, outputs="dict")
def regression_metrics(y: Any, model: Any = None, X: Any = None, y_pred: Any = None) -> dict:
    """MAE, RMSE and R2 of a regressor on held-out data."""
    return regression_scores(model, X, y, y_pred)


@ml_node("evaluation.score", icon="fa5s.star-half-alt", inputs=EVAL_INPUTS, outputs="float")
def score(
    y: Any,
    model: Any = None,
    X: Any = None,
    y_pred: Any = None,
    metric: Literal[
        "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse", "r2"
    ] = "accuracy",
    average: Average = "weighted",
) -> float:
    """One metric (accuracy, f1, roc_auc, r2, rmse, ...) of a model on held-out data, as a number."""
    if metric in REGRESSION:
        return regression_scores(model, X, y, y_pred)[metric]
    if metric not in CLASSIFICATION:
        raise ValueError(f"metric: unknown {metric!r} (use {', '.join(METRICS)})")
    found = classification_scores(model, X, y, y_pred, average)
    if metric not in found:
        raise ValueError(
            f"metric: {metric} needs a model giving probabilities or decision scores (connect model and X)"
        )
    return found[metric]


@ml_node(
    "evaluation.metrics_table",
    icon="fa5s.table",
    inputs=MODELS_EVAL_INPUTS,
    many=["models"],
    outputs=TABLE,
)
def metrics_table(
    models: list, X: Any, y: Any, task: Literal["auto", "classification", "regression"] = "auto"
) -> Any:
    """Compare several fitted models (fan-in) on the same held-out data: one row per model, one column per
    metric (classification or regression, decided from the models unless `task` says)."""
    import pandas as pd

    if not models:
        raise ValueError("models: connect at least one fitted model")
    truth = as_series(y, "y")
    rows = []
    seen: dict[str, int] = {}
    for model in models:
        name = model_name(model)
        seen[name] = seen.get(name, 0) + 1
        shown = name if seen[name] == 1 else f"{name} #{seen[name]}"
        classify = is_classification(model, truth) if task == "auto" else task == "classification"
        scores = (
            classification_scores(model, X, truth, None)
            if classify
            else regression_scores(model, X, truth, None)
        )
        rows.append({"model": shown, **scores})
    return pd.DataFrame(rows)
