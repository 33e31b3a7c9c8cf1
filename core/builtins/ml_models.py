"""Model nodes: build a scikit-learn estimator, fit it, predict, cross-validate, save and load it.

`models.estimator` builds an unfitted estimator from a curated list (or any class path) with its
parameters as a JSON object, checked against the estimator's own `get_params()` so a typo fails at
once naming the key, not deep inside a fit. `models.fit` fits a copy (the input estimator is never
changed: the engine may hand the same object to several nodes). Estimators that take a `random_state`
get 0 unless the params say otherwise, so a pipeline gives the same numbers on every run.
"""

from __future__ import annotations

import difflib
import importlib
import time
from typing import Any

from ..context import Context
from ..vocabulary import PARAM_REF
from .ml_common import MODEL, SERIES, TABLE, as_series, as_table, atomic_path, ml_node

ESTIMATORS: dict[str, str] = {
    "logistic_regression": "sklearn.linear_model.LogisticRegression",
    "linear_regression": "sklearn.linear_model.LinearRegression",
    "ridge": "sklearn.linear_model.Ridge",
    "lasso": "sklearn.linear_model.Lasso",
    "knn_classifier": "sklearn.neighbors.KNeighborsClassifier",
    "knn_regressor": "sklearn.neighbors.KNeighborsRegressor",
    "svm_classifier": "sklearn.svm.SVC",
    "svm_regressor": "sklearn.svm.SVR",
    "decision_tree_classifier": "sklearn.tree.DecisionTreeClassifier",
    "decision_tree_regressor": "sklearn.tree.DecisionTreeRegressor",
    "random_forest_classifier": "sklearn.ensemble.RandomForestClassifier",
    "random_forest_regressor": "sklearn.ensemble.RandomForestRegressor",
    "gradient_boosting_classifier": "sklearn.ensemble.GradientBoostingClassifier",
    "gradient_boosting_regressor": "sklearn.ensemble.GradientBoostingRegressor",
    "mlp_classifier": "sklearn.neural_network.MLPClassifier",
    "mlp_regressor": "sklearn.neural_network.MLPRegressor",
    "naive_bayes": "sklearn.naive_bayes.GaussianNB",
    "kmeans": "sklearn.cluster.KMeans",
    "sgd_classifier": "sklearn.linear_model.SGDClassifier",
    "sgd_regressor": "sklearn.linear_model.SGDRegressor",
}
PATH_IN = {"type": "path", "widget": "path"}


def estimator_class(kind: str, class_path: str = "") -> type:
    """The class for a curated `kind`, or for `class_path` (`package.module.Class` or `package.module:Class`)."""
    path = class_path.strip() or ESTIMATORS.get(kind, "")
    if not path:
        close = difflib.get_close_matches(kind, ESTIMATORS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (choose one of {', '.join(ESTIMATORS)})"
        raise ValueError(f"kind: unknown estimator {kind!r}{hint}")
    module_name, sep, name = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not name:
        raise ValueError(f"class_path: {path!r} must look like package.module.Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"class_path: cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type) or not hasattr(cls, "get_params") or not hasattr(cls, "fit"):
        raise ValueError(f"class_path: {path!r} is not an estimator class (with fit and get_params)")
    return cls


def check_params(estimator: Any, params: dict[str, Any], what: str = "params") -> None:
    """Raise one line naming the first key that is not a parameter of the estimator."""
    if not isinstance(params, dict):
        raise TypeError(f"{what}: expected a JSON object of parameter values, got {type(params).__name__}")
    valid = estimator.get_params(deep=True)
    for key, value in params.items():
        if isinstance(value, dict) and PARAM_REF in value:
            raise ValueError(
                f'{what}: {key!r} holds a {{"{PARAM_REF}": ...}} reference; those work only as a whole '
                "param value, not inside a JSON object (write the number, or wire an expression node)"
            )
        if key not in valid:
            name = type(estimator).__name__
            close = [k for k in valid if k.lower() == str(key).lower()] or difflib.get_close_matches(
                str(key), list(valid), n=1
            )
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(sorted(k for k in valid if "__" not in k))
            raise ValueError(f"{what}: {name} has no parameter {key!r}{hint} (it has: {listed})")


def build_estimator(kind: str, params: dict[str, Any] | None = None, class_path: str = "") -> Any:
    cls = estimator_class(kind, class_path)
    estimator = cls()
    params = dict(params or {})
    check_params(estimator, params)
    if "random_state" in estimator.get_params() and "random_state" not in params:
        params["random_state"] = 0
    try:
        return estimator.set_params(**params)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"params: {exc}") from None


def fresh_copy(model: Any) -> Any:
    """An unfitted copy with the same parameters (scikit-learn's clone; a deep copy for other objects)."""
    from sklearn.base import clone

    if not hasattr(model, "get_params"):
        raise TypeError(f"model: a {type(model).__name__} is not an estimator (no get_params)")
    try:
        return clone(model)
    except TypeError:
        import copy

        return copy.deepcopy(model)


def model_name(model: Any) -> str:
    """A short name for a model: the last step's class for a pipeline, else the class."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        return type(steps[-1][1]).__name__
    return type(model).__name__


@ml_node(
    "models.estimator",
    icon="fa5s.brain",
    inputs={"kind": {"choices": tuple(ESTIMATORS)}, "params": {"widget": "json"}},
    outputs=MODEL,
)
def estimator(kind: str = "logistic_regression", params: dict | None = None, class_path: str = "") -> Any:
    """An unfitted scikit-learn model: pick a kind (logistic regression, ridge, SVM, random forest, MLP,
    k-means, ...) or give any estimator's `class_path`; `params` is a JSON object of its parameters,
    e.g. {"C": 10, "gamma": 0.001}, checked against the estimator's own parameter names."""
    return build_estimator(kind, params, class_path)


@ml_node("models.pipeline", icon="fa5s.stream", inputs={"steps": MODEL}, many=["steps"], outputs=MODEL)
def pipeline(steps: list) -> Any:
    """Chain transformers and a final model into one scikit-learn Pipeline (fan-in, in edge order), so
    cross-validation and tuning refit the transformers on each training fold (no leakage)."""
    from sklearn.pipeline import make_pipeline

    if not steps:
        raise ValueError("steps: connect the transformers and the model, in order")
    return make_pipeline(*[fresh_copy(s) for s in steps])


@ml_node(
    "models.fit", icon="fa5s.play-circle", inputs={"model": MODEL, "X": TABLE, "y": SERIES}, outputs=MODEL
)
def fit(ctx: Context, model: Any, X: Any, y: Any = None) -> Any:
    """Fit a copy of the model on X (and the target y; clustering needs none) and output the fitted model."""
    fitted = fresh_copy(model)
    frame = as_table(X, "X")
    started = time.perf_counter()
    if y is None:
        fitted.fit(frame)
    else:
        target = as_series(y, "y")
        if len(target) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(target)}")
        fitted.fit(frame, target)
    ctx.log(f"fitted {model_name(fitted)} on {len(frame)} rows in {time.perf_counter() - started:.2f} s")
    return fitted


def require_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(
            f"model: this {model_name(model)} is not fitted yet (put a models.fit node before)"
        ) from None
    except TypeError:
        pass  # not a scikit-learn estimator: let predict speak for itself


@ml_node("models.predict", icon="fa5s.bullseye", inputs={"model": MODEL, "X": TABLE}, outputs=SERIES)
def predict(model: Any, X: Any) -> Any:
    """The fitted model's predictions for X (a column aligned with X's rows)."""
    import pandas as pd

    require_fitted(model)
    frame = as_table(X, "X")
    return pd.Series(model.predict(frame), index=frame.index, name="prediction")


@ml_node("models.predict_proba", icon="fa5s.percentage", inputs={"model": MODEL, "X": TABLE}, outputs=TABLE)
def predict_proba(model: Any, X: Any) -> Any:
    """The fitted classifier's probability per class for each row of X (one column per class)."""
    import pandas as pd

    require_fitted(model)
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model: {model_name(model)} gives no probabilities (use models.predict)")
    frame = as_table(X, "X")
    classes = [str(c) for c in getattr(model, "classes_", range(0))]
    proba = model.predict_proba(frame)
    return pd.DataFrame(proba, index=frame.index, columns=classes or None)


def make_folds(model: Any, y: Any, folds: int, shuffle: bool, seed: int) -> Any:
    """Stratified folds for a classifier, plain K-fold otherwise (shuffled with `seed` when asked)."""
    from sklearn.base import is_classifier
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2:
        raise ValueError(f"folds: {folds} must be at least 2")
    state = seed if shuffle else None
    if y is not None and is_classifier(model):
        return StratifiedKFold(n_splits=folds, shuffle=shuffle, random_state=state)
    return KFold(n_splits=folds, shuffle=shuffle, random_state=state)


def make_scorer(model: Any, scoring: str) -> Any:
    """A scorer by scikit-learn name (e.g. accuracy, f1_macro, r2, neg_mean_absolute_error), or the
    estimator's own score when empty."""
    from sklearn.metrics import check_scoring, get_scorer_names

    if scoring and scoring not in get_scorer_names():
        close = difflib.get_close_matches(scoring, get_scorer_names(), n=3)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"scoring: unknown scorer {scoring!r}{hint}")
    return check_scoring(model, scoring=scoring or None)


@ml_node(
    "models.cross_validate",
    icon="fa5s.redo",
    inputs={"model": MODEL, "X": TABLE, "y": SERIES, "folds": {"minimum": 2, "maximum": 100}},
    outputs={"scores": TABLE, "mean": "float"},
)
def cross_validate(
    ctx: Context,
    model: Any,
    X: Any,
    y: Any = None,
    folds: int = 5,
    scoring: str = "",
    shuffle: bool = True,
    seed: int = 0,
) -> tuple:
    """Score the model by K-fold cross-validation (stratified for classifiers): a table of the folds'
    scores and fit times, and the mean score. `scoring` is a scikit-learn scorer name (empty: the
    model's own score, accuracy or R2)."""
    import pandas as pd
    from sklearn.model_selection import cross_validate as sk_cross_validate

    frame = as_table(X, "X")
    target = as_series(y, "y") if y is not None else None
    result = sk_cross_validate(
        fresh_copy(model),
        frame,
        target,
        cv=make_folds(model, target, folds, shuffle, seed),
        scoring=make_scorer(model, scoring),
        error_score="raise",
    )
    table = pd.DataFrame(
        {
            "fold": range(1, folds + 1),
            "score": result["test_score"],
            "fit_time_s": result["fit_time"],
        }
    )
    for i, score in enumerate(result["test_score"]):
        ctx.metric("fold_score", float(score), step=i + 1)
    return table, float(table["score"].mean())


@ml_node("models.save", icon="fa5s.save", inputs={"model": MODEL, "path": PATH_IN}, outputs="path")
def save(model: Any, path: str, compress: int = 3) -> str:
    """Save a model (or a fitted transformer) to a file with joblib (atomically); outputs the path."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(model, tmp, compress=compress)
    return str(path)


@ml_node("models.load", icon="fa5s.folder-open", inputs={"path": PATH_IN}, outputs=MODEL)
def load(path: str) -> Any:
    """Load a model saved by models.save (joblib; only load files you trust: loading runs their code)."""
    import joblib

    return joblib.load(path)
