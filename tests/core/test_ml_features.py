"""Feature nodes on real data: every transformer is fitted on the training part only (no leakage),
applied to both parts, and returned fitted so it can transform new data later."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from nodeloom.core.builtins import ml_data, ml_features


@pytest.fixture
def iris() -> tuple:
    _, X, y = ml_data.load_dataset("iris")
    return ml_features.train_test_split(X, y, test_size=0.3, stratify=True, seed=3)


@pytest.fixture
def mixed() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.DataFrame(
        {"age": [20.0, np.nan, 40.0, 60.0], "city": ["a", "b", "a", "c"], "score": [1.0, 2.0, 3.0, 4.0]}
    )
    test = pd.DataFrame({"age": [np.nan, 30.0], "city": ["b", "zzz"], "score": [5.0, 6.0]})
    return train, test


def test_split_xy_and_stratified_split() -> None:
    table, _, _ = ml_data.load_dataset("wine")
    X, y = ml_features.split_xy(table, "target")
    assert "target" not in X.columns and y.name == "target" and len(X) == len(table)
    X2, _ = ml_features.split_xy(table, "target", ["alcohol", "ash"])
    assert list(X2.columns) == ["alcohol", "ash"]
    X_train, X_test, y_train, y_test = ml_features.train_test_split(
        X, y, test_size=0.25, stratify=True, seed=0
    )
    assert len(X_test) == math.ceil(len(X) * 0.25) and len(X_train) + len(X_test) == len(X)
    assert set(X_train.index).isdisjoint(X_test.index)
    train_share = y_train.value_counts(normalize=True).sort_index()
    test_share = y_test.value_counts(normalize=True).sort_index()
    assert (train_share - test_share).abs().max() < 0.05  # stratified: same class proportions
    again = ml_features.train_test_split(X, y, test_size=0.25, stratify=True, seed=0)
    assert again[1].index.equals(X_test.index)  # the seed makes it reproducible
    with pytest.raises(ValueError, match="X has 178 rows but y has 10"):
        ml_features.train_test_split(X, y[:10])
    with pytest.raises(ValueError, match="test_size"):
        ml_features.train_test_split(X, y, test_size=25)


def test_scaling_is_fitted_on_train_only(iris: tuple) -> None:
    X_train, X_test, _, _ = iris
    for method, check in [
        ("standard", lambda t: np.allclose(t.mean(), 0) and np.allclose(t.std(ddof=0), 1)),
        ("minmax", lambda t: np.allclose(t.min(), 0) and np.allclose(t.max(), 1)),
        ("robust", lambda t: np.allclose(t.median(), 0)),
    ]:
        out_train, out_test, transformer = ml_features.scale(X_train, X_test, method=method)
        assert check(out_train), method
        assert list(out_train.columns) == list(X_train.columns) and out_test.index.equals(X_test.index)
        assert not check(out_test)  # the test part is transformed with the training statistics
        again = ml_features.apply(transformer, X_test)
        pd.testing.assert_frame_equal(again, out_test)
    _, _, standard = ml_features.scale(X_train, X_test)
    assert np.allclose(standard.mean_, X_train.mean())


def test_scaling_named_columns_passes_the_others_through(mixed: tuple) -> None:
    train, test = mixed
    out_train, out_test, _ = ml_features.scale(train.fillna(0), test.fillna(0))
    assert list(out_train["city"]) == list(train["city"])  # text passes through by default
    assert out_train["score"].mean() == pytest.approx(0)
    only, _, _ = ml_features.scale(train.fillna(0), None, columns=["score"])
    assert list(only["age"]) == list(train["age"].fillna(0))


def test_encoders_handle_unseen_categories(mixed: tuple) -> None:
    train, test = mixed
    out_train, out_test, _ = ml_features.one_hot(train, test)
    assert {"city_a", "city_b", "city_c"} <= set(out_train.columns) and "age" in out_train.columns
    assert out_test.loc[1, ["city_a", "city_b", "city_c"]].sum() == 0  # "zzz" was never seen
    ordinal_train, ordinal_test, _ = ml_features.ordinal_encode(train, test)
    assert list(ordinal_train["city"]) == [0, 1, 0, 2] and list(ordinal_test["city"]) == [1, -1]


def test_imputation_uses_training_statistics(mixed: tuple) -> None:
    train, test = mixed
    out_train, out_test, _ = ml_features.impute(train, test, strategy="mean")
    mean = train["age"].mean()
    assert out_train["age"].iloc[1] == pytest.approx(mean) and out_test["age"].iloc[0] == pytest.approx(mean)
    constant, _, _ = ml_features.impute(train, test, strategy="constant", fill_value=-1, columns=["age"])
    assert constant["age"].iloc[1] == -1


def test_pca_polynomial_and_column_transformer(iris: tuple, mixed: tuple) -> None:
    X_train, X_test, _, _ = iris
    reduced, reduced_test, pca = ml_features.pca(X_train, X_test, n_components=2)
    assert reduced.shape == (len(X_train), 2) and reduced_test.shape == (len(X_test), 2)
    assert pca.explained_variance_ratio_.sum() > 0.9
    poly, _, _ = ml_features.polynomial(X_train, X_test, degree=2)
    assert poly.shape[1] == 4 + 10  # 4 features, their 10 squares and products
    train, test = mixed
    out_train, out_test, transformer = ml_features.column_transformer(train, test)
    assert out_train.isna().sum().sum() == 0 and "city_a" in out_train.columns
    pd.testing.assert_frame_equal(ml_features.apply(transformer, test), out_test)
    with pytest.raises(ValueError, match="unknown transform 'scaling'"):
        ml_features.column_transformer(train, test, steps=[{"transform": "scaling", "columns": ["age"]}])
    with pytest.raises(ValueError, match="unknown key 'column'"):
        ml_features.column_transformer(train, test, steps=[{"transform": "scale", "column": ["age"]}])


def test_arrays_and_row_dicts_are_accepted_as_tables() -> None:
    out, _, _ = ml_features.scale(np.arange(12, dtype=float).reshape(6, 2))
    assert list(out.columns) == ["x0", "x1"]
    rows, _, _ = ml_features.scale([{"a": 1.0}, {"a": 3.0}])
    assert list(rows["a"]) == [-1.0, 1.0]
    with pytest.raises(TypeError, match="X_train: expected a table"):
        ml_features.scale("not a table")
