"""Data and table nodes on real files: the shipped sample CSVs, the offline scikit-learn data sets, and
round trips through CSV, Parquet and JSON written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from nodeloom.core.builtins import ml_data, ml_tables
from sklearn import datasets


@pytest.fixture
def orders() -> pd.DataFrame:
    return ml_data.read_csv(ml_data.sample_file("orders.csv"), dates=["order_date"])


def test_sample_files_are_shipped_and_named_in_the_choices() -> None:
    assert ml_data.sample_files() == ml_data.SAMPLE_FILES
    with pytest.raises(FileNotFoundError, match="no sample file 'nope.csv'"):
        ml_data.sample_file("nope.csv")
    with pytest.raises(FileNotFoundError):
        ml_data.sample_file("../examples/diabetes_ridge.json")


@pytest.mark.parametrize("name", ml_data.DATASETS)
def test_load_dataset_matches_scikit_learn(name: str) -> None:
    table, X, y = ml_data.load_dataset(name)
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    assert X.equals(bunch.data) and list(y) == list(bunch.target)
    assert table.shape == (len(X), X.shape[1] + 1) and "target" in table.columns and y.name == "target"


def test_load_dataset_refuses_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        ml_data.load_dataset("mnist")


def test_csv_parquet_json_round_trips(tmp_path: Path, orders: pd.DataFrame) -> None:
    csv = ml_data.write_csv(orders, tmp_path / "out" / "orders.csv")
    back = ml_data.read_csv(csv, dates=["order_date"])
    pd.testing.assert_frame_equal(back, orders)
    parquet = ml_data.write_parquet(orders, tmp_path / "orders.parquet")
    pd.testing.assert_frame_equal(ml_data.read_parquet(parquet), orders)
    assert list(ml_data.read_parquet(parquet, columns=["order_id"]).columns) == ["order_id"]
    for lines in (False, True):
        path = ml_data.write_json_table(
            orders[["order_id", "product"]], tmp_path / f"o{lines}.json", lines=lines
        )
        assert ml_data.read_json_table(path, lines=lines).equals(orders[["order_id", "product"]])
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "t.parquet"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        ml_data.write_parquet(object(), target)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_describe_counts_missing_cells(orders: pd.DataFrame) -> None:
    summary = ml_data.describe(orders)
    missing = summary.set_index("statistic").loc["missing"]
    assert missing["quantity"] == orders["quantity"].isna().sum() == 2
    assert ml_data.get_column(orders, "product").equals(orders["product"])
    with pytest.raises(KeyError, match="no column 'prodcut' .*the table has: order_id"):
        ml_data.get_column(orders, "prodcut")


def test_table_operations(orders: pd.DataFrame) -> None:
    assert list(ml_tables.select_columns(orders, ["product", "order_id"]).columns) == ["product", "order_id"]
    assert "status" not in ml_tables.drop_columns(orders, "status").columns
    assert "price" in ml_tables.rename_columns(orders, {"unit_price": "price"}).columns
    paid = ml_tables.filter_rows(orders, 'status == "paid" and unit_price > 0')
    assert len(paid) == len(orders[(orders.status == "paid") & (orders.unit_price > 0)]) and len(paid) < len(
        orders
    )
    assert len(ml_tables.sample_rows(orders, n=5, seed=1)) == 5
    assert ml_tables.sample_rows(orders, fraction=0.5, seed=1).equals(
        ml_tables.sample_rows(orders, fraction=0.5, seed=1)
    )
    assert (
        list(ml_tables.sort_rows(orders, ["unit_price"], ascending=False)["unit_price"])[0]
        == orders.unit_price.max()
    )
    assert len(ml_tables.head(orders, 3)) == 3
    deduped = ml_tables.drop_duplicates(orders)
    assert len(deduped) == len(orders) - 2 == len(orders.drop_duplicates())
    assert len(ml_tables.drop_duplicates(orders, keep="none")) == len(orders) - 4
    assert ml_tables.fill_missing(orders, "value", 1, ["quantity"])["quantity"].isna().sum() == 0
    assert ml_tables.fill_missing(orders, "median", columns=["quantity"])["quantity"].isna().sum() == 0
    assert len(ml_tables.fill_missing(orders, "drop_rows")) == len(orders) - 2
    assert str(ml_tables.cast_column(orders, "quantity", "int")["quantity"].dtype) == "Int64"
    amount = ml_tables.add_column(orders, "amount", "quantity * unit_price")
    assert amount["amount"].iloc[0] == orders.quantity.iloc[0] * orders.unit_price.iloc[0]
    assert "amount" not in orders.columns  # inputs are never changed
    doubled = ml_tables.concat([orders, orders])
    assert len(doubled) == 2 * len(orders)
    assert ml_tables.concat([orders[["order_id"]], orders[["product"]]], axis="columns").shape == (
        len(orders),
        2,
    )


def test_join_and_group_by_match_pandas(orders: pd.DataFrame) -> None:
    customers = ml_data.read_csv(ml_data.sample_file("customers.csv"))
    joined = ml_tables.join(orders, customers, on=["customer_id"], how="left")
    assert joined.equals(orders.merge(customers, on="customer_id", how="left"))
    assert ml_tables.join(orders, customers).shape == joined.shape  # the shared column by default
    renamed = customers.rename(columns={"customer_id": "id"})
    assert ml_tables.join(orders, renamed, left_on=["customer_id"], right_on=["id"]).shape[0] == len(orders)
    totals = ml_tables.group_by(joined, ["region"], {"unit_price": ["sum", "mean"], "order_id": "count"})
    expected = joined.groupby("region").agg(
        unit_price_sum=("unit_price", "sum"), order_id_count=("order_id", "count")
    )
    assert list(totals.columns) == ["region", "unit_price_sum", "unit_price_mean", "order_id_count"]
    assert totals.set_index("region")["unit_price_sum"].to_dict() == pytest.approx(
        expected["unit_price_sum"].to_dict()
    )
    assert ml_tables.group_by(joined, "region")["count"].sum() == len(joined)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda o: ml_tables.filter_rows(o, "nope > 1"), "query 'nope > 1': UndefinedVariableError"),
        (lambda o: ml_tables.select_columns(o, ["nope"]), "no column 'nope'"),
        (
            lambda o: ml_tables.group_by(o, ["product"], {"unit_price": "average"}),
            "unknown function 'average'",
        ),
        (lambda o: ml_tables.cast_column(o, "product", "float"), "column 'product' to float"),
        (lambda o: ml_tables.sample_rows(o), "set n"),
        (lambda o: ml_tables.fill_missing(o, "mean", columns=["product"]), "not numeric"),
        (lambda o: ml_tables.add_column(o, "x", "nope * 2"), "expression 'nope \\* 2'"),
    ],
)
def test_bad_input_fails_with_one_readable_line(orders: pd.DataFrame, call, message: str) -> None:
    with pytest.raises(Exception, match=message) as caught:
        call(orders)
    assert "\n" not in str(caught.value)


def test_the_column_node_takes_a_table_or_row_dicts(orders: pd.DataFrame) -> None:
    from nodeloom.core.builtins import data

    assert data.column(orders, "order_id")[:2] == [1001, 1002]
    assert data.column([{"a": 1}, {"a": 2}], "a") == [1, 2]
    with pytest.raises(KeyError, match="no column 'nope'"):
        data.column(orders, "nope")
