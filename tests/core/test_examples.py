"""The shipped examples: each validates and runs headless through the CLI, is laid out readably, and its
figures (test accuracy, best parameters, R2, the ETL totals) equal the same computation done directly
with scikit-learn and pandas here."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from cli_runner import run_nodeloom
from nodeloom.core.engine import RunOptions, run_pipeline
from nodeloom.core.events import NodeMetric
from nodeloom.core.file_format import load_pipeline
from nodeloom.core.registry import Registry
from sklearn import datasets, metrics
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "resources" / "examples"
NEW = ["digits_svm_grid_search", "breast_cancer_models", "diabetes_ridge", "orders_etl", "mlp_live_loss"]


def _run(name: str, tmp_path: Path, *extra: str) -> dict:
    results = tmp_path / f"{name}.results.json"
    run = run_nodeloom(
        "run", str(EXAMPLES / f"{name}.json"), "--results", str(results), *extra, cwd=tmp_path, timeout=300
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    return {nid: node["outputs"] for nid, node in json.loads(results.read_text())["nodes"].items()}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_validates(path: Path, tmp_path: Path) -> None:
    checked = run_nodeloom("validate", str(path), cwd=tmp_path, timeout=300)
    assert checked.returncode == 0 and checked.stdout.startswith(f"{path}: ok"), checked.stderr


def test_examples_are_laid_out_readably() -> None:
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    make_examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_examples)
    registry = Registry(entry_points=False)
    for name in NEW:
        doc = json.loads((EXAMPLES / f"{name}.json").read_text())
        assert set(doc["ui"]["nodes"]) == {n["id"] for n in doc["nodes"]}, name
        assert make_examples.layout_problems(doc, registry) == [], name
        assert all(n.get("label") for n in doc["nodes"]) and doc["description"], name


@pytest.mark.slow
def test_digits_grid_search_matches_scikit_learn(tmp_path: Path) -> None:
    outputs = _run("digits_svm_grid_search", tmp_path)
    X, y = datasets.load_digits(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    grid = {"C": [1, 10, 100], "gamma": [0.0001, 0.0005, 0.001, 0.005]}
    search = GridSearchCV(SVC(random_state=0), grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(X_train, y_train)
    accuracy = metrics.accuracy_score(y_test, search.best_estimator_.predict(X_test))
    assert outputs["search"]["best_params"] == search.best_params_
    assert outputs["accuracy"]["result"] == pytest.approx(accuracy) and accuracy >= 0.98
    assert outputs["search"]["trials"] == "DataFrame 12 x 8"
    png = outputs["confusion"]["result"]["figure"]
    assert (tmp_path / png).read_bytes().startswith(b"\x89PNG")


def test_breast_cancer_models_match_scikit_learn(tmp_path: Path) -> None:
    outputs = _run("breast_cancer_models", tmp_path)
    assert (tmp_path / outputs["roc"]["result"]["figure"]).stat().st_size > 10_000
    result = run_pipeline(load_pipeline(EXAMPLES / "breast_cancer_models.json"), RunOptions(record=False))
    table = result.nodes["metrics"].outputs["result"]
    X, y = datasets.load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    models = [
        LogisticRegression(max_iter=1000, random_state=0),
        RandomForestClassifier(n_estimators=200, random_state=0),
        SVC(C=1.0, random_state=0),
    ]
    for row, model in zip(table.itertuples(), models, strict=True):
        model.fit(scaler.transform(X_train), y_train)
        pred = model.predict(scaler.transform(X_test))
        assert row.model == type(model).__name__
        assert row.accuracy == pytest.approx(metrics.accuracy_score(y_test, pred))
        assert row.f1 == pytest.approx(metrics.f1_score(y_test, pred, average="weighted"))
    assert table["accuracy"].min() > 0.9


def test_diabetes_ridge_matches_scikit_learn(tmp_path: Path) -> None:
    outputs = _run("diabetes_ridge", tmp_path)
    X, y = datasets.load_diabetes(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), Ridge(alpha=1.0)).fit(
        X_train, y_train
    )
    pred = model.predict(X_test)
    found = outputs["metrics"]["result"]
    assert found["r2"] == pytest.approx(metrics.r2_score(y_test, pred))
    assert found["rmse"] == pytest.approx(math.sqrt(metrics.mean_squared_error(y_test, pred)))
    assert (tmp_path / outputs["plot"]["result"]["figure"]).exists()


def test_orders_etl_writes_the_region_totals(tmp_path: Path) -> None:
    outputs = _run("orders_etl", tmp_path)
    written = tmp_path / "build" / "etl" / "sales_by_region.parquet"  # the `out` default, relative to the run
    assert outputs["write"]["result"] == "build/etl/sales_by_region.parquet" and written.exists()
    data = ROOT / "resources" / "data"
    orders = pd.read_csv(data / "orders.csv").drop_duplicates()
    orders = orders[(orders.status == "paid") & (orders.unit_price > 0)].copy()
    orders["amount"] = orders["quantity"].fillna(1).astype(int) * orders["unit_price"]
    joined = orders.merge(pd.read_csv(data / "customers.csv"), on="customer_id", how="left")
    expected = joined.groupby("region")["amount"].sum().sort_values(ascending=False)
    table = pd.read_parquet(written)
    assert list(table["region"]) == list(expected.index)
    assert list(table["amount_sum"]) == pytest.approx(list(expected))
    assert list(table.columns) == ["region", "amount_sum", "amount_mean", "order_id_count"]
    elsewhere = _run("orders_etl", tmp_path, "--set", f"out={tmp_path / 'other.parquet'}", "--no-cache")
    assert elsewhere["write"]["result"] == str(tmp_path / "other.parquet")


@pytest.mark.slow
def test_mlp_streams_its_loss_per_epoch(tmp_path: Path) -> None:
    outputs = _run("mlp_live_loss", tmp_path, "--set", "epochs=6")
    assert outputs["accuracy"]["result"] > 0.85 and outputs["train"]["history"] == "DataFrame 6 x 4"
    events: list = []
    result = run_pipeline(
        load_pipeline(EXAMPLES / "mlp_live_loss.json"),
        RunOptions(overrides={"epochs": 4}, record=False, use_cache=False),
        on_event=events.append,
    )
    assert result.status == "succeeded"
    losses = [e for e in events if isinstance(e, NodeMetric) and e.node_id == "train" and e.name == "loss"]
    assert [e.step for e in losses] == [1, 2, 3, 4] and losses[-1].value < losses[0].value
