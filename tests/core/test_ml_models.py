"""Model nodes on small real data: the curated estimators, parameter checking against get_params(), fit
and predict, cross-validation against scikit-learn's own, joblib round trips, the iterative trainer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nodeloom.core.builtins import ml_data, ml_features, ml_models, ml_training
from nodeloom.core.context import Context
from nodeloom.core.events import NodeMetric, NodeProgress
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

CTX = Context.detached()
# default iteration limits on iris: scikit-learn warns, which this suite turns into errors
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris() -> tuple:
    _, X, y = ml_data.load_dataset("iris")
    return ml_features.train_test_split(X, y, test_size=0.3, stratify=True, seed=0)


@pytest.mark.parametrize("kind", sorted(ml_models.ESTIMATORS))
def test_every_curated_estimator_builds_and_fits(kind: str, iris: tuple) -> None:
    X_train, X_test, y_train, _ = iris
    model = ml_models.estimator(kind)
    if "random_state" in model.get_params():
        assert model.random_state == 0  # reproducible by default
    fitted = ml_models.fit(CTX, model, X_train, None if kind == "kmeans" else y_train)
    assert fitted is not model and not hasattr(model, "n_features_in_")  # the input is never changed
    predictions = ml_models.predict(fitted, X_test)
    assert isinstance(predictions, pd.Series) and predictions.index.equals(X_test.index)


def test_params_are_checked_against_get_params() -> None:
    model = ml_models.estimator("svm_classifier", {"C": 10, "gamma": 0.001})
    assert (model.C, model.gamma) == (10, 0.001)
    with pytest.raises(ValueError) as caught:
        ml_models.estimator("svm_classifier", {"Cc": 1})
    message = str(caught.value)
    assert message.startswith("params: SVC has no parameter 'Cc'; did you mean 'C'?") and "\n" not in message
    with pytest.raises(ValueError, match="unknown estimator 'random_forest'; did you mean"):
        ml_models.estimator("random_forest")
    with pytest.raises(ValueError, match="inside a JSON object"):
        ml_models.estimator("ridge", {"alpha": {"$param": "alpha"}})


def test_class_path_builds_any_estimator() -> None:
    model = ml_models.estimator(
        "ridge", {"n_estimators": 5}, class_path="sklearn.ensemble.ExtraTreesRegressor"
    )
    assert type(model).__name__ == "ExtraTreesRegressor" and model.n_estimators == 5
    assert type(ml_models.estimator(class_path="sklearn.svm:LinearSVC")).__name__ == "LinearSVC"
    with pytest.raises(ValueError, match="cannot import 'sklearn.nope'"):
        ml_models.estimator(class_path="sklearn.nope.Thing")
    with pytest.raises(ValueError, match="is not an estimator class"):
        ml_models.estimator(class_path="os.path.join")


def test_predict_proba_and_unfitted_models(iris: tuple) -> None:
    X_train, X_test, y_train, _ = iris
    fitted = ml_models.fit(
        CTX, ml_models.estimator("logistic_regression", {"max_iter": 500}), X_train, y_train
    )
    proba = ml_models.predict_proba(fitted, X_test)
    assert list(proba.columns) == ["0", "1", "2"] and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(ValueError, match="not fitted yet"):
        ml_models.predict(ml_models.estimator("ridge"), X_test)
    with pytest.raises(TypeError, match="gives no probabilities"):
        ml_models.predict_proba(ml_models.fit(CTX, ml_models.estimator("ridge"), X_train, y_train), X_test)


def test_cross_validate_matches_scikit_learn(iris: tuple) -> None:
    X_train, _, y_train, _ = iris
    model = ml_models.estimator("logistic_regression", {"max_iter": 500})
    scores, mean = ml_models.cross_validate(CTX, model, X_train, y_train, folds=4, seed=1)
    expected = cross_val_score(
        LogisticRegression(max_iter=500, random_state=0),
        X_train,
        y_train,
        cv=StratifiedKFold(4, shuffle=True, random_state=1),
    )
    assert list(scores["score"]) == pytest.approx(list(expected)) and mean == pytest.approx(expected.mean())
    _, f1 = ml_models.cross_validate(CTX, model, X_train, y_train, folds=3, scoring="f1_macro")
    assert 0.8 < f1 <= 1
    with pytest.raises(ValueError, match="unknown scorer 'acuracy'; did you mean 'accuracy'"):
        ml_models.cross_validate(CTX, model, X_train, y_train, scoring="acuracy")


def test_save_and_load_round_trip(tmp_path: Path, iris: tuple) -> None:
    X_train, X_test, y_train, _ = iris
    fitted = ml_models.fit(
        CTX, ml_models.estimator("random_forest_classifier", {"n_estimators": 10}), X_train, y_train
    )
    path = ml_models.save(fitted, tmp_path / "models" / "forest.joblib")
    loaded = ml_models.load(path)
    assert (ml_models.predict(loaded, X_test) == ml_models.predict(fitted, X_test)).all()
    _, _, scaler = ml_features.scale(X_train)
    assert (
        ml_models.load(ml_models.save(scaler, tmp_path / "scaler.joblib")).mean_.tolist()
        == scaler.mean_.tolist()
    )


def test_pipeline_chains_unfitted_copies(iris: tuple) -> None:
    X_train, X_test, y_train, y_test = iris
    _, _, scaler = ml_features.scale(X_train)
    chained = ml_models.pipeline([scaler, ml_models.estimator("knn_classifier")])
    assert [type(s).__name__ for _, s in chained.steps] == ["StandardScaler", "KNeighborsClassifier"]
    assert not hasattr(chained.steps[0][1], "mean_")  # refitted on each training fold, no leakage
    fitted = ml_models.fit(CTX, chained, X_train, y_train)
    assert (ml_models.predict(fitted, X_test) == y_test).mean() > 0.85


class _CancelAfter:
    """A cancel flag that turns on once `n` loss points were streamed."""

    def __init__(self, n: int) -> None:
        self.n, self.seen = n, 0

    def is_set(self) -> bool:
        return self.seen >= self.n


def test_iterative_training_streams_loss_and_validation(iris: tuple) -> None:
    X_train, X_test, y_train, y_test = iris
    events: list = []
    ctx = Context("train", emit=events.append)
    X_train, X_test, _ = ml_features.scale(X_train, X_test)
    model = ml_models.estimator("sgd_classifier", {"loss": "log_loss"})
    fitted, history = ml_training.train_iterative(
        ctx, model, X_train, y_train, X_test, y_test, epochs=8, batch_size=16
    )
    losses = [e for e in events if isinstance(e, NodeMetric) and e.name == "loss"]
    scores = [e for e in events if isinstance(e, NodeMetric) and e.name == "val_score"]
    assert [e.step for e in losses] == list(range(1, 9)) and len(scores) == 8
    assert list(history.columns) == ["epoch", "loss", "val_score", "seconds"] and len(history) == 8
    assert history["val_score"].iloc[-1] == pytest.approx(fitted.score(X_test, y_test))
    assert [e.fraction for e in events if isinstance(e, NodeProgress)][-1] == 1.0
    mlp = ml_models.estimator("mlp_regressor", {"hidden_layer_sizes": [8]})
    _, hist = ml_training.train_iterative(ctx, mlp, X_train, y_train.astype(float), epochs=3)
    assert list(hist.columns) == ["epoch", "loss", "seconds"]


def test_iterative_training_stops_on_cancel_between_epochs(iris: tuple) -> None:
    X_train, _, y_train, _ = iris
    flag = _CancelAfter(3)

    def emit(event: object) -> None:
        if isinstance(event, NodeMetric) and event.name == "loss":
            flag.seen += 1

    ctx = Context("train", emit=emit, cancel_flag=flag)
    with pytest.raises(ml_training.TrainingCancelled, match="cancelled after 3 of 50 epochs"):
        ml_training.train_iterative(ctx, ml_models.estimator("sgd_classifier"), X_train, y_train, epochs=50)


def test_iterative_training_needs_partial_fit_and_stops_early(iris: tuple) -> None:
    X_train, X_test, y_train, y_test = iris
    with pytest.raises(TypeError, match="RandomForestClassifier cannot learn incrementally"):
        ml_training.train_iterative(CTX, ml_models.estimator("random_forest_classifier"), X_train, y_train)
    model = ml_models.estimator("naive_bayes")
    _, history = ml_training.train_iterative(
        CTX, model, X_train, y_train, X_test, y_test, epochs=30, patience=2
    )
    assert len(history) < 30  # naive Bayes stops improving at once
