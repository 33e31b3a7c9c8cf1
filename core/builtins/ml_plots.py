"""Figure nodes: a confusion matrix, ROC curves and a predicted-vs-actual plot as matplotlib figures.

Figures are drawn with the Agg canvas on a bare `matplotlib.figure.Figure` (never pyplot): no GUI
backend, no global figure list that grows with every run, safe in worker threads and processes. The
editor's inspector shows a figure output as a picture and `nodeloom run --results` saves it as a PNG.
"""

from __future__ import annotations

from typing import Any

from .ml_common import FIGURE, TABLE, as_series, ml_node
from .ml_eval import EVAL_INPUTS, MODELS_EVAL_INPUTS, predictions, scores_for_auc
from .ml_models import model_name


def new_figure(width: float = 5.5, height: float = 4.5) -> tuple[Any, Any]:
    """A figure on the Agg canvas and its single axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


@ml_node("evaluation.confusion_matrix", icon="fa5s.th-large", inputs=EVAL_INPUTS, outputs=FIGURE)
def confusion_matrix(
    y: Any, model: Any = None, X: Any = None, y_pred: Any = None, normalize: bool = False, title: str = ""
) -> Any:
    """A confusion matrix figure: true classes down, predicted classes across (`normalize`: fractions of
    each true class)."""
    import numpy as np
    from sklearn.metrics import confusion_matrix as sk_confusion

    truth = np.asarray(as_series(y, "y"))
    pred = predictions(model, X, y_pred)
    labels = np.unique(np.concatenate([truth, pred]))
    matrix = sk_confusion(truth, pred, labels=labels, normalize="true" if normalize else None)
    size = min(10.0, 3.5 + 0.35 * len(labels))
    figure, ax = new_figure(size, size * 0.85)
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(len(labels)), [str(v) for v in labels], rotation=45 if len(labels) > 6 else 0)
    ax.set_yticks(range(len(labels)), [str(v) for v in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 20:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (i, j), value in np.ndenumerate(matrix):
            text = f"{value:.2f}" if normalize else str(int(value))
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > threshold else "black",
            )
    ax.set_title(
        title or (f"Confusion matrix: {model_name(model)}" if model is not None else "Confusion matrix")
    )
    return figure


@ml_node(
    "evaluation.roc_curve",
    icon="fa5s.chart-area",
    inputs=MODELS_EVAL_INPUTS,
    many=["models"],
    outputs=FIGURE,
)
def roc_curve(models: list, X: Any, y: Any, positive: Any = None, title: str = "ROC curve") -> Any:
    """ROC curves of one or more fitted binary classifiers (fan-in) on held-out data, with their AUC in
    the legend (`positive`: the positive class, default the larger label)."""
    import numpy as np
    from sklearn.metrics import auc
    from sklearn.metrics import roc_curve as sk_roc

    truth = np.asarray(as_series(y, "y"))
    if not models:
        raise ValueError("models: connect at least one fitted classifier")
    classes = np.unique(truth)
    if len(classes) != 2:
        raise ValueError(f"y has {len(classes)} classes: a ROC curve needs a binary target")
    pos = classes[-1] if positive is None else type(classes[-1])(positive)
    figure, ax = new_figure()
    for model in models:
        scored = scores_for_auc(model, X)
        if scored is None:
            raise TypeError(f"models: {model_name(model)} gives no probabilities or decision scores")
        values, model_classes = scored
        column = list(model_classes).index(pos) if values.ndim == 2 else None
        score = values[:, column] if column is not None else (values if pos == model_classes[-1] else -values)
        fpr, tpr, _ = sk_roc(truth, score, pos_label=pos)
        ax.plot(fpr, tpr, label=f"{model_name(model)} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    ax.set_title(title)
    return figure


@ml_node("evaluation.predicted_vs_actual", icon="fa5s.braille", inputs=EVAL_INPUTS, outputs=FIGURE)
def predicted_vs_actual(y: Any, model: Any = None, X: Any = None, y_pred: Any = None, title: str = "") -> Any:
    """A scatter of predicted against actual values with the ideal diagonal and the R2 (regression)."""
    import numpy as np
    from sklearn.metrics import r2_score

    truth = np.asarray(as_series(y, "y"), dtype=float)
    pred = np.asarray(predictions(model, X, y_pred), dtype=float)
    figure, ax = new_figure()
    ax.scatter(truth, pred, s=14, alpha=0.7, edgecolors="none")
    low, high = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
    ax.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=1, label="ideal")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.legend(loc="upper left", title=f"R2 = {r2_score(truth, pred):.3f}")
    name = model_name(model) if model is not None else ""
    ax.set_title(title or ("Predicted vs actual" + (f": {name}" if name else "")))
    return figure


@ml_node("evaluation.plot_history", icon="fa5s.chart-line", inputs={"history": TABLE}, outputs=FIGURE)
def plot_history(history: Any, title: str = "Training history") -> Any:
    """Line plots of a training history table (loss and validation score per epoch) as a figure."""
    from .ml_common import as_table

    frame = as_table(history, "history")
    if "epoch" not in frame.columns:
        raise ValueError("history: expected an `epoch` column (from models.train_iterative)")
    figure, ax = new_figure(6, 4)
    ax.plot(frame["epoch"], frame["loss"], label="loss", color="tab:red")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if "val_score" in frame.columns:
        twin = ax.twinx()
        twin.plot(frame["epoch"], frame["val_score"], label="val_score", color="tab:blue")
        twin.set_ylabel("validation score")
    ax.set_title(title)
    return figure
