"""Feature nodes: split a table into X and y, into train and test, and transform features without leakage.

Every transformer node is fitted on `X_train` only and then applied to `X_train` and (when connected)
`X_test`, the way a model will meet new data; it also outputs the fitted transformer, so
`features.apply` can transform more data later, or `models.save` can store it. Outputs stay pandas
tables with readable column names (scikit-learn's `set_output(transform="pandas")`).

By default a node transforms the columns it makes sense for (scaling, PCA and polynomials: the numeric
columns; encoders: the text/category columns) and passes the others through unchanged; `columns`
names them explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from .ml_common import SERIES, TABLE, TRANSFORMER, as_series, as_table, column_list, ml_node, require_columns

FIT_INPUTS = {"X_train": TABLE, "X_test": TABLE}
FIT_OUTPUTS = {"X_train": TABLE, "X_test": TABLE, "transformer": TRANSFORMER}
TRANSFORMS = ("scale", "one_hot", "ordinal", "impute", "pca", "polynomial", "passthrough", "drop")


@ml_node("features.split_xy", icon="fa5s.cut", inputs={"table": TABLE}, outputs={"X": TABLE, "y": SERIES})
def split_xy(table: Any, target: str = "target", features: list | None = None) -> tuple:
    """Split a table into features X (every other column, or `features`) and the target column y."""
    frame = as_table(table, "table")
    require_columns(frame, [target], "target")
    names = column_list(features, "features")
    if names:
        require_columns(frame, names, "features")
        X = frame[names]
    else:
        X = frame.drop(columns=[target])
    return X.copy(), frame[target]


@ml_node(
    "features.train_test_split",
    icon="fa5s.cut",
    inputs={"X": TABLE, "y": SERIES, "test_size": {"minimum": 0.0, "maximum": 1.0}},
    outputs={"X_train": TABLE, "X_test": TABLE, "y_train": SERIES, "y_test": SERIES},
)
def train_test_split(
    X: Any,
    y: Any = None,
    test_size: float = 0.25,
    stratify: bool = False,
    seed: int = 0,
    shuffle: bool = True,
) -> tuple:
    """Split rows into a training and a held-out test part (shuffled with `seed`; `stratify` keeps the class
    proportions of y in both parts)."""
    from sklearn.model_selection import train_test_split as split

    frame = as_table(X, "X")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size: {test_size} must be between 0 and 1 (a fraction of the rows)")
    if y is None:
        if stratify:
            raise ValueError("stratify needs y (the classes to keep in proportion)")
        X_train, X_test = split(frame, test_size=test_size, random_state=seed, shuffle=shuffle)
        return X_train, X_test, None, None
    target = as_series(y, "y")
    if len(target) != len(frame):
        raise ValueError(f"X has {len(frame)} rows but y has {len(target)}")
    return tuple(
        split(
            frame,
            target,
            test_size=test_size,
            random_state=seed,
            shuffle=shuffle,
            stratify=target if stratify else None,
        )
    )


# -- the transformers -----------------------------------------------------------------------------------
def make_transformer(kind: str, params: dict[str, Any] | None = None) -> Any:
    """A fresh scikit-learn transformer for one of `TRANSFORMS` with its options."""
    options = dict(params or {})
    if kind == "scale":
        from sklearn import preprocessing

        method = options.pop("method", "standard")
        classes = {
            "standard": preprocessing.StandardScaler,
            "minmax": preprocessing.MinMaxScaler,
            "robust": preprocessing.RobustScaler,
        }
        if method not in classes:
            raise ValueError(f"method: unknown scaling {method!r} (use standard, minmax or robust)")
        return classes[method](**options)
    if kind == "one_hot":
        from sklearn.preprocessing import OneHotEncoder

        return OneHotEncoder(**{"handle_unknown": "ignore", "sparse_output": False, **options})
    if kind == "ordinal":
        from sklearn.preprocessing import OrdinalEncoder

        return OrdinalEncoder(**{"handle_unknown": "use_encoded_value", "unknown_value": -1, **options})
    if kind == "impute":
        from sklearn.impute import SimpleImputer

        return SimpleImputer(**options)
    if kind == "pca":
        from sklearn.decomposition import PCA

        return PCA(**options)
    if kind == "polynomial":
        from sklearn.preprocessing import PolynomialFeatures

        return PolynomialFeatures(**{"include_bias": False, **options})
    if kind in ("passthrough", "drop"):
        return kind
    raise ValueError(f"unknown transform {kind!r} (use {', '.join(TRANSFORMS)})")


def _numeric(frame: Any) -> list[Any]:
    import pandas as pd

    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]


def _categorical(frame: Any) -> list[Any]:
    numeric = set(_numeric(frame))
    return [c for c in frame.columns if c not in numeric]


def _select(frame: Any, columns: Any, default: Callable[[Any], list[Any]], what: str) -> list[Any]:
    """The columns to transform: named ones, `"numeric"`/`"categorical"`, or the node's default kind."""
    if columns == "numeric":
        return _numeric(frame)
    if columns == "categorical":
        return _categorical(frame)
    names = column_list(columns, what)
    if names is None:
        return default(frame)
    require_columns(frame, names, what)
    return names


def fit_apply(
    transformer: Any, X_train: Any, X_test: Any, columns: list[Any], note: str
) -> tuple[Any, Any, Any]:
    """Fit on X_train's `columns` (others pass through), transform both parts, keep pandas output."""
    from sklearn.compose import ColumnTransformer

    train = as_table(X_train, "X_train")
    if not columns:
        raise ValueError(f"no columns to {note} (set columns)")
    if list(columns) != list(train.columns):
        transformer = ColumnTransformer(
            [(note.replace(" ", "_"), transformer, columns)],
            remainder="passthrough",
            verbose_feature_names_out=False,
        )
    transformer.set_output(transform="pandas")
    out_train = transformer.fit_transform(train)
    out_test = transformer.transform(as_table(X_test, "X_test")) if X_test is not None else None
    return out_train, out_test, transformer


@ml_node("features.scale", icon="fa5s.sliders-h", inputs=FIT_INPUTS, outputs=FIT_OUTPUTS)
def scale(
    X_train: Any,
    X_test: Any = None,
    method: Literal["standard", "minmax", "robust"] = "standard",
    columns: list | None = None,
) -> tuple:
    """Scale numeric features (standard: zero mean, unit variance; minmax: 0..1; robust: median and IQR),
    fitted on the training part only."""
    frame = as_table(X_train, "X_train")
    chosen = _select(frame, columns, _numeric, "columns")
    return fit_apply(make_transformer("scale", {"method": method}), frame, X_test, chosen, "scale")


@ml_node("features.one_hot", icon="fa5s.th", inputs=FIT_INPUTS, outputs=FIT_OUTPUTS)
def one_hot(X_train: Any, X_test: Any = None, columns: list | None = None, drop_first: bool = False) -> tuple:
    """One 0/1 column per category of the text/category columns (a category unseen in training encodes
    as all zeros)."""
    frame = as_table(X_train, "X_train")
    chosen = _select(frame, columns, _categorical, "columns")
    params: dict[str, Any] = {"drop": "first"} if drop_first else {}
    return fit_apply(make_transformer("one_hot", params), frame, X_test, chosen, "one hot encode")


@ml_node("features.ordinal_encode", icon="fa5s.sort-numeric-down", inputs=FIT_INPUTS, outputs=FIT_OUTPUTS)
def ordinal_encode(X_train: Any, X_test: Any = None, columns: list | None = None) -> tuple:
    """Replace each category of the text/category columns by a number (0, 1, 2, ...; unseen: -1)."""
    frame = as_table(X_train, "X_train")
    chosen = _select(frame, columns, _categorical, "columns")
    return fit_apply(make_transformer("ordinal"), frame, X_test, chosen, "ordinal encode")


@ml_node("features.impute", icon="fa5s.fill-drip", inputs=FIT_INPUTS, outputs=FIT_OUTPUTS)
def impute(
    X_train: Any,
    X_test: Any = None,
    strategy: Literal["mean", "median", "most_frequent", "constant"] = "mean",
    fill_value: Any = None,
    columns: list | None = None,
) -> tuple:
    """Fill missing values with the training part's column mean, median, most frequent value, or a
    constant `fill_value` (mean and median: numeric columns by default)."""
    frame = as_table(X_train, "X_train")
    default = _numeric if strategy in ("mean", "median") else (lambda f: list(f.columns))
    chosen = _select(frame, columns, default, "columns")
    params: dict[str, Any] = {"strategy": strategy}
    if strategy == "constant":
        params["fill_value"] = fill_value
    return fit_apply(make_transformer("impute", params), frame, X_test, chosen, "impute")


@ml_node(
    "features.pca",
    icon="fa5s.compress-arrows-alt",
    inputs={**FIT_INPUTS, "n_components": {"minimum": 0}},
    outputs=FIT_OUTPUTS,
)
def pca(X_train: Any, X_test: Any = None, n_components: float = 2, seed: int = 0) -> tuple:
    """Project the numeric features onto their first principal components (`n_components` below 1: keep
    that fraction of the variance); other columns pass through."""
    frame = as_table(X_train, "X_train")
    chosen = _numeric(frame)
    count: float | int = int(n_components) if n_components >= 1 else float(n_components)
    transformer = make_transformer("pca", {"n_components": count, "random_state": seed})
    return fit_apply(transformer, frame, X_test, chosen, "pca")


@ml_node(
    "features.polynomial",
    icon="fa5s.superscript",
    inputs={**FIT_INPUTS, "degree": {"minimum": 1, "maximum": 10}},
    outputs=FIT_OUTPUTS,
)
def polynomial(
    X_train: Any,
    X_test: Any = None,
    degree: int = 2,
    interaction_only: bool = False,
    columns: list | None = None,
) -> tuple:
    """Add powers and products of the numeric features up to `degree`."""
    frame = as_table(X_train, "X_train")
    chosen = _select(frame, columns, _numeric, "columns")
    params = {"degree": degree, "interaction_only": interaction_only}
    return fit_apply(make_transformer("polynomial", params), frame, X_test, chosen, "polynomial")


DEFAULT_STEPS = [
    {"transform": "impute", "columns": "numeric", "params": {"strategy": "median"}},
    {"transform": "one_hot", "columns": "categorical"},
]


@ml_node(
    "features.column_transformer",
    icon="fa5s.project-diagram",
    inputs={**FIT_INPUTS, "steps": {"widget": "json"}},
    outputs=FIT_OUTPUTS,
)
def column_transformer(
    X_train: Any,
    X_test: Any = None,
    steps: list = DEFAULT_STEPS,  # noqa: B006 - a JSON default, never mutated
    remainder: Literal["passthrough", "drop"] = "passthrough",
) -> tuple:
    """Different transforms for different columns in one step: `steps` is a JSON list of
    {"transform": scale|one_hot|ordinal|impute|pca|polynomial|passthrough|drop, "columns": [names] or
    "numeric" or "categorical", "params": {...}}; the other columns are passed through or dropped."""
    from sklearn.compose import ColumnTransformer

    frame = as_table(X_train, "X_train")
    if not isinstance(steps, list) or not steps:
        raise ValueError('steps: a non-empty JSON list of {"transform": ..., "columns": ...}')
    parts = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or "transform" not in step:
            raise ValueError(f'steps[{i}]: expected an object with "transform" and "columns"')
        unknown = sorted(set(step) - {"transform", "columns", "params"})
        if unknown:
            raise ValueError(f"steps[{i}]: unknown key {unknown[0]!r} (use transform, columns, params)")
        kind = step["transform"]
        columns = _select(frame, step.get("columns"), lambda f: list(f.columns), f"steps[{i}].columns")
        if not columns:
            continue
        parts.append((f"{i}_{kind}", make_transformer(kind, step.get("params")), columns))
    if not parts:
        raise ValueError("steps: no step selects any column")
    transformer = ColumnTransformer(parts, remainder=remainder, verbose_feature_names_out=False)
    transformer.set_output(transform="pandas")
    out_train = transformer.fit_transform(frame)
    out_test = transformer.transform(as_table(X_test, "X_test")) if X_test is not None else None
    return out_train, out_test, transformer


@ml_node("features.apply", icon="fa5s.magic", inputs={"transformer": TRANSFORMER, "X": TABLE}, outputs=TABLE)
def apply(transformer: Any, X: Any) -> Any:
    """Transform new data with a transformer fitted earlier (by a feature node, or loaded from a file)."""
    import pandas as pd

    if not hasattr(transformer, "transform"):
        raise TypeError(f"transformer: a {type(transformer).__name__} cannot transform data")
    out = transformer.transform(as_table(X, "X"))
    return out if isinstance(out, pd.DataFrame) else as_table(out, "X")
