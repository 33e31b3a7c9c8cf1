"""The iterative trainer: fit an estimator that learns incrementally (`partial_fit`: SGD, MLP, naive
Bayes, ...) one epoch at a time, streaming its loss and validation score to the run's metrics chart.

Why epochs by hand instead of `fit`: the user watches the loss curve live, sees progress, and a cancel
stops the training between two epochs instead of waiting for the whole fit.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..context import Context
from .ml_common import MODEL, SERIES, TABLE, as_series, as_table, ml_node
from .ml_models import fresh_copy, model_name


class TrainingCancelled(InterruptedError):
    """The run was cancelled between two epochs."""


def epoch_loss(model: Any, X: Any, y: Any) -> float:
    """The training loss after an epoch: the model's own `loss_` (MLP), else log loss for a classifier
    with probabilities, the error rate for other classifiers, the mean squared error for regressors."""
    from sklearn.base import is_classifier
    from sklearn.metrics import log_loss, mean_squared_error

    own = getattr(model, "loss_", None)
    if isinstance(own, float | int) and math.isfinite(own):
        return float(own)
    if is_classifier(model):
        if hasattr(model, "predict_proba"):
            try:
                return float(log_loss(y, model.predict_proba(X), labels=model.classes_))
            except (AttributeError, ValueError):
                pass
        return float(1.0 - (model.predict(X) == y).mean())
    return float(mean_squared_error(y, model.predict(X)))


@ml_node(
    "models.train_iterative",
    icon="fa5s.chart-line",
    inputs={
        "model": MODEL,
        "X_train": TABLE,
        "y_train": SERIES,
        "X_val": TABLE,
        "y_val": SERIES,
        "epochs": {"minimum": 1, "maximum": 100_000},
        "batch_size": {"minimum": 0},
        "patience": {"minimum": 0},
    },
    outputs={"model": MODEL, "history": TABLE},
)
def train_iterative(
    ctx: Context,
    model: Any,
    X_train: Any,
    y_train: Any,
    X_val: Any = None,
    y_val: Any = None,
    epochs: int = 30,
    batch_size: int = 0,
    patience: int = 0,
    seed: int = 0,
) -> tuple:
    """Train an estimator with `partial_fit` (sgd_classifier, sgd_regressor, mlp_classifier, mlp_regressor,
    naive_bayes) epoch by epoch, streaming `loss` and `val_score` (on X_val/y_val when connected) to the
    metrics chart; `batch_size` 0 feeds the whole shuffled training set per epoch; `patience` > 0 stops
    after that many epochs without a better validation score. Cancel stops between epochs."""
    import numpy as np
    import pandas as pd
    from sklearn.base import is_classifier

    learner = fresh_copy(model)
    if not hasattr(learner, "partial_fit"):
        raise TypeError(
            f"model: {model_name(learner)} cannot learn incrementally (no partial_fit); use sgd_classifier, "
            "sgd_regressor, mlp_classifier, mlp_regressor or naive_bayes, or models.fit"
        )
    X = as_table(X_train, "X_train").reset_index(drop=True)
    y = as_series(y_train, "y_train").reset_index(drop=True)
    if len(X) != len(y):
        raise ValueError(f"X_train has {len(X)} rows but y_train has {len(y)}")
    has_val = X_val is not None and y_val is not None
    Xv = as_table(X_val, "X_val") if has_val else None
    yv = as_series(y_val, "y_val") if has_val else None
    classifier = is_classifier(learner)
    extra = {"classes": np.unique(y)} if classifier else {}
    rng = np.random.default_rng(seed)
    size = batch_size if batch_size > 0 else len(X)
    rows: list[dict[str, Any]] = []
    best, since_best = -math.inf, 0
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        if ctx.cancelled:
            raise TrainingCancelled(f"cancelled after {epoch - 1} of {epochs} epochs")
        order = rng.permutation(len(X))
        for start in range(0, len(X), size):
            batch = order[start : start + size]
            learner.partial_fit(X.iloc[batch], y.iloc[batch], **extra)
            extra = {}
        loss = epoch_loss(learner, X, y)
        ctx.metric("loss", loss, step=epoch)
        row: dict[str, Any] = {"epoch": epoch, "loss": loss}
        if has_val:
            score = float(learner.score(Xv, yv))
            ctx.metric("val_score", score, step=epoch)
            row["val_score"] = score
        row["seconds"] = round(time.perf_counter() - started, 4)
        rows.append(row)
        shown = f"loss {loss:.4g}" + (f", val {row['val_score']:.4g}" if has_val else "")
        ctx.progress(epoch / epochs, f"epoch {epoch}/{epochs}: {shown}")
        if has_val and patience > 0:
            if row["val_score"] > best:
                best, since_best = row["val_score"], 0
            else:
                since_best += 1
                if since_best >= patience:
                    ctx.log(f"stopped early after epoch {epoch}: no better val_score for {patience} epochs")
                    break
    return learner, pd.DataFrame(rows)
