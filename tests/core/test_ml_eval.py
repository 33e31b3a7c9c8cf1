"""Evaluation nodes: metrics equal to scikit-learn's, a fan-in metrics table, and figures (Agg) that
render to PNG."""

from __future__ import annotations

import math

import pytest
from matplotlib.figure import Figure
from nodeloom.core.builtins import ml_data, ml_features, ml_models, ml_plots, ml_training
from nodeloom.core.builtins import ml_eval as ev
from nodeloom.core.context import Context
from nodeloom.core.figure_files import figure_png, is_figure
from sklearn import metrics

CTX = Context.detached()
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def cancer() -> tuple:
    _, X, y = ml_data.load_dataset("breast_cancer")
    X_train, X_test, y_train, y_test = ml_features.train_test_split(X, y, stratify=True, seed=0)
    X_train, X_test, _ = ml_features.scale(X_train, X_test)
    fits = [
        ml_models.fit(CTX, ml_models.estimator(kind), X_train, y_train)
        for kind in ("logistic_regression", "svm_classifier", "knn_classifier", "knn_classifier")
    ]
    return fits, X_test, y_test


@pytest.fixture(scope="module")
def diabetes() -> tuple:
    _, X, y = ml_data.load_dataset("diabetes")
    X_train, X_test, y_train, y_test = ml_features.train_test_split(X, y, seed=0)
    return ml_models.fit(CTX, ml_models.estimator("ridge"), X_train, y_train), X_test, y_test


def test_classification_metrics_match_scikit_learn(cancer: tuple) -> None:
    (logreg, svm, *_), X, y = cancer
    found = ev.classification_metrics(y, logreg, X)
    pred = logreg.predict(X)
    proba = logreg.predict_proba(X)
    assert found == pytest.approx(
        {
            "accuracy": metrics.accuracy_score(y, pred),
            "precision": metrics.precision_score(y, pred, average="weighted"),
            "recall": metrics.recall_score(y, pred, average="weighted"),
            "f1": metrics.f1_score(y, pred, average="weighted"),
            "roc_auc": metrics.roc_auc_score(y, proba[:, 1]),
            "log_loss": metrics.log_loss(y, proba),
        }
    )
    assert all(type(v) is float for v in found.values())
    svm_found = ev.classification_metrics(y, svm, X)  # no probabilities: AUC from decision scores
    assert svm_found["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, svm.decision_function(X)))
    assert "log_loss" not in svm_found
    from_predictions = ev.classification_metrics(y, y_pred=logreg.predict(X))
    assert from_predictions["accuracy"] == found["accuracy"] and "roc_auc" not in from_predictions
    assert ev.score(y, logreg, X, metric="f1", average="macro") == pytest.approx(
        metrics.f1_score(y, pred, average="macro")
    )
    with pytest.raises(ValueError, match="connect model and X"):
        ev.score(y)


def test_regression_metrics_match_scikit_learn(diabetes: tuple) -> None:
    ridge, X, y = diabetes
    pred = ridge.predict(X)
    assert ev.regression_metrics(y, ridge, X) == pytest.approx(
        {
            "mae": metrics.mean_absolute_error(y, pred),
            "rmse": math.sqrt(metrics.mean_squared_error(y, pred)),
            "r2": metrics.r2_score(y, pred),
        }
    )
    assert ev.score(y, ridge, X, metric="r2") == pytest.approx(metrics.r2_score(y, pred))


def test_metrics_table_compares_models_fanned_in(cancer: tuple, diabetes: tuple) -> None:
    fits, X, y = cancer
    table = ev.metrics_table(fits, X, y)
    assert list(table["model"]) == [
        "LogisticRegression",
        "SVC",
        "KNeighborsClassifier",
        "KNeighborsClassifier #2",
    ]
    assert table.loc[0, "accuracy"] == pytest.approx(metrics.accuracy_score(y, fits[0].predict(X)))
    ridge, Xd, yd = diabetes
    assert list(ev.metrics_table([ridge], Xd, yd).columns) == ["model", "mae", "rmse", "r2"]


def test_figures_render_as_png(cancer: tuple, diabetes: tuple) -> None:
    fits, X, y = cancer
    ridge, Xd, yd = diabetes
    _, X_iris, y_iris = ml_data.load_dataset("iris")
    _, history = ml_training.train_iterative(
        CTX, ml_models.estimator("sgd_classifier"), X_iris, y_iris, epochs=3
    )
    figures = [
        ml_plots.confusion_matrix(y, fits[0], X),
        ml_plots.confusion_matrix(y, y_pred=fits[1].predict(X), normalize=True),
        ml_plots.roc_curve(fits[:3], X, y),
        ml_plots.predicted_vs_actual(yd, ridge, Xd),
        ml_plots.plot_history(history),
    ]
    for figure in figures:
        assert isinstance(figure, Figure) and is_figure(figure)
        png = figure_png(figure)
        assert png is not None and png.startswith(b"\x89PNG") and len(png) > 5000
    legend = [t.get_text() for t in figures[2].axes[0].get_legend().get_texts()]
    auc = metrics.roc_auc_score(y, fits[0].predict_proba(X)[:, 1])
    assert legend[0] == f"LogisticRegression (AUC {auc:.3f})"
    assert not is_figure(object()) and figure_png("text") is None
    with pytest.raises(ValueError, match="needs a binary target"):
        ml_plots.roc_curve(fits[:1], X_iris, y_iris)
