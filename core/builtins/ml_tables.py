"""Table nodes: the everyday pandas operations a data-cleaning step needs, one small node each.

Every node returns a new table and never changes its input (the engine hands the same value to every
consumer, so an in-place change would leak into a sibling branch). Column names that do not exist fail
with one line listing the columns the table has.
"""

from __future__ import annotations

from typing import Any, Literal

from .ml_common import TABLE, as_table, column_list, ml_node, require_columns

AGGREGATIONS = (
    "sum",
    "mean",
    "median",
    "min",
    "max",
    "count",
    "nunique",
    "std",
    "var",
    "first",
    "last",
    "size",
)
CASTS = ("int", "float", "str", "bool", "category", "datetime")


@ml_node("data.select_columns", icon="fa5s.columns", inputs={"table": TABLE}, outputs=TABLE)
def select_columns(table: Any, columns: list) -> Any:
    """Keep only these columns, in this order."""
    frame = as_table(table, "table")
    names = column_list(columns) or []
    require_columns(frame, names)
    return frame[names].copy()


@ml_node("data.drop_columns", icon="fa5s.minus-square", inputs={"table": TABLE}, outputs=TABLE)
def drop_columns(table: Any, columns: list) -> Any:
    """Remove these columns."""
    frame = as_table(table, "table")
    names = column_list(columns) or []
    require_columns(frame, names)
    return frame.drop(columns=names)


@ml_node("data.rename_columns", icon="fa5s.i-cursor", inputs={"table": TABLE}, outputs=TABLE)
def rename_columns(table: Any, mapping: dict) -> Any:
    """Rename columns: a JSON object from old name to new name, e.g. {"amt": "amount"}."""
    frame = as_table(table, "table")
    require_columns(frame, list(mapping), "mapping")
    return frame.rename(columns=mapping)


@ml_node(
    "data.filter_rows",
    icon="fa5s.filter",
    inputs={"table": TABLE, "query": {"widget": "text"}},
    outputs=TABLE,
)
def filter_rows(table: Any, query: str) -> Any:
    """Keep the rows matching a pandas query expression, e.g. `amount > 0 and status == "paid"`
    (backquote names with spaces: `` `unit price` > 2 ``)."""
    frame = as_table(table, "table")
    if not query.strip():
        return frame.copy()
    try:
        kept = frame.query(query)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds; the user needs one line
        raise ValueError(
            f"query {query!r}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    if len(kept) and kept.shape[1] != frame.shape[1]:
        raise ValueError(f"query {query!r} is not a row filter")
    return kept


@ml_node(
    "data.add_column",
    icon="fa5s.plus-square",
    inputs={"table": TABLE, "expression": {"widget": "text"}},
    outputs=TABLE,
)
def add_column(table: Any, name: str, expression: str) -> Any:
    """Add (or replace) a column computed from others with a pandas expression, e.g.
    `quantity * unit_price` or `price / price.max()`."""
    frame = as_table(table, "table").copy()
    try:
        frame[name] = frame.eval(expression)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds; the user needs one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ValueError(f"expression {expression!r}: {type(exc).__name__}: {first}") from None
    return frame


@ml_node(
    "data.sample_rows",
    icon="fa5s.random",
    inputs={"table": TABLE, "fraction": {"minimum": 0.0}, "n": {"minimum": 0}},
    outputs=TABLE,
)
def sample_rows(
    table: Any, n: int | None = None, fraction: float | None = None, seed: int = 0, replace: bool = False
) -> Any:
    """A random sample of rows: `n` rows or a `fraction` of them (reproducible with `seed`)."""
    frame = as_table(table, "table")
    if n is None and fraction is None:
        raise ValueError("set n (a row count) or fraction (e.g. 0.1)")
    if n is not None and fraction is not None:
        raise ValueError("set n or fraction, not both")
    if n is not None and n > len(frame) and not replace:
        n = len(frame)
    return frame.sample(n=n, frac=fraction, random_state=seed, replace=replace)


@ml_node("data.sort_rows", icon="fa5s.sort-amount-down", inputs={"table": TABLE}, outputs=TABLE)
def sort_rows(table: Any, by: list, ascending: bool = True) -> Any:
    """Sort rows by one or more columns."""
    frame = as_table(table, "table")
    names = column_list(by, "by") or []
    require_columns(frame, names, "by")
    return frame.sort_values(names, ascending=ascending, kind="stable")


@ml_node("data.head", icon="fa5s.list-ol", inputs={"table": TABLE, "n": {"minimum": 0}}, outputs=TABLE)
def head(table: Any, n: int = 10) -> Any:
    """The first n rows."""
    return as_table(table, "table").head(n).copy()


@ml_node("data.drop_duplicates", icon="fa5s.clone", inputs={"table": TABLE}, outputs=TABLE)
def drop_duplicates(
    table: Any, columns: list | None = None, keep: Literal["first", "last", "none"] = "first"
) -> Any:
    """Remove repeated rows (compared on `columns`, or on every column); keep the first, the last or none."""
    frame = as_table(table, "table")
    names = column_list(columns)
    if names:
        require_columns(frame, names)
    return frame.drop_duplicates(subset=names, keep=False if keep == "none" else keep)


@ml_node("data.fill_missing", icon="fa5s.fill-drip", inputs={"table": TABLE}, outputs=TABLE)
def fill_missing(
    table: Any,
    strategy: Literal["value", "mean", "median", "mode", "forward", "backward", "drop_rows"] = "value",
    value: Any = 0,
    columns: list | None = None,
) -> Any:
    """Fill empty cells (in `columns`, or all): with a fixed value, the column's mean/median/mode, the
    previous or next row's value; or drop the rows that have any."""
    frame = as_table(table, "table").copy()
    names = column_list(columns)
    if names is None:  # every column (mean and median: the numeric ones)
        names = [c for c in frame.columns if strategy not in ("mean", "median") or _is_numeric(frame[c])]
    require_columns(frame, names)
    if strategy == "drop_rows":
        return frame.dropna(subset=names)
    for name in names:
        col = frame[name]
        if strategy in ("mean", "median") and not _is_numeric(col):
            raise TypeError(f"column {name!r} is not numeric: strategy {strategy!r} needs numbers")
        if not col.isna().any():
            continue
        if strategy == "value":
            frame[name] = col.fillna(value)
        elif strategy in ("mean", "median"):
            frame[name] = col.fillna(getattr(col, strategy)())
        elif strategy == "mode":
            modes = col.mode()
            if len(modes):
                frame[name] = col.fillna(modes.iloc[0])
        elif strategy == "forward":
            frame[name] = col.ffill()
        elif strategy == "backward":
            frame[name] = col.bfill()
        else:
            raise ValueError(f"strategy: unknown {strategy!r}")
    return frame


@ml_node("data.join", icon="fa5s.object-group", inputs={"left": TABLE, "right": TABLE}, outputs=TABLE)
def join(
    left: Any,
    right: Any,
    on: list | None = None,
    how: Literal["inner", "left", "right", "outer"] = "inner",
    left_on: list | None = None,
    right_on: list | None = None,
) -> Any:
    """Join two tables on key columns (`on`, or `left_on`/`right_on` when the names differ), like SQL."""
    lframe, rframe = as_table(left, "left"), as_table(right, "right")
    keys, lkeys, rkeys = (
        column_list(on, "on"),
        column_list(left_on, "left_on"),
        column_list(right_on, "right_on"),
    )
    if keys:
        require_columns(lframe, keys, "on (left)")
        require_columns(rframe, keys, "on (right)")
        return lframe.merge(rframe, on=keys, how=how, suffixes=("", "_right"))
    if lkeys and rkeys:
        require_columns(lframe, lkeys, "left_on")
        require_columns(rframe, rkeys, "right_on")
        return lframe.merge(rframe, left_on=lkeys, right_on=rkeys, how=how, suffixes=("", "_right"))
    common = [c for c in lframe.columns if c in set(rframe.columns)]
    if not common:
        raise ValueError("the tables share no column: set on, or left_on and right_on")
    return lframe.merge(rframe, on=common, how=how, suffixes=("", "_right"))


@ml_node("data.concat", icon="fa5s.layer-group", inputs={"tables": TABLE}, many=["tables"], outputs=TABLE)
def concat(tables: list, axis: Literal["rows", "columns"] = "rows") -> Any:
    """Stack every connected table (fan-in): one under the other (rows) or side by side (columns)."""
    import pandas as pd

    frames = [as_table(t, f"tables[{i}]") for i, t in enumerate(tables)]
    if not frames:
        raise ValueError("tables: connect at least one table")
    if axis == "rows":
        return pd.concat(frames, axis=0, ignore_index=True)
    return pd.concat([f.reset_index(drop=True) for f in frames], axis=1)


@ml_node("data.group_by", icon="fa5s.layer-group", inputs={"table": TABLE}, outputs=TABLE)
def group_by(table: Any, by: list, aggregations: dict | None = None) -> Any:
    """Group rows by key columns and aggregate: `aggregations` maps a column to a function name or a list
    of them (sum, mean, median, min, max, count, nunique, std, var, first, last), e.g.
    {"amount": ["sum", "mean"], "order_id": "count"}; empty: the row count per group. Result columns are
    named like `amount_sum`."""
    frame = as_table(table, "table")
    keys = column_list(by, "by") or []
    require_columns(frame, keys, "by")
    grouped = frame.groupby(keys, dropna=False, sort=True)
    if not aggregations:
        return grouped.size().rename("count").reset_index()
    require_columns(frame, list(aggregations), "aggregations")
    spec: dict[str, list[str]] = {}
    for column, funcs in aggregations.items():
        names = [funcs] if isinstance(funcs, str) else list(funcs)
        for f in names:
            if f not in AGGREGATIONS:
                raise ValueError(
                    f"aggregations[{column!r}]: unknown function {f!r} (use {', '.join(AGGREGATIONS)})"
                )
        spec[column] = names
    result = grouped.agg(spec)
    result.columns = [f"{col}_{func}" for col, func in result.columns]
    return result.reset_index()


@ml_node("data.cast_column", icon="fa5s.exchange-alt", inputs={"table": TABLE}, outputs=TABLE)
def cast_column(
    table: Any, column: str, to: Literal["int", "float", "str", "bool", "category", "datetime"] = "float"
) -> Any:
    """Change one column's type (int, float, str, bool, category, datetime); a value that cannot be
    converted fails the node naming it."""
    import pandas as pd

    frame = as_table(table, "table").copy()
    require_columns(frame, [column], "column")
    col = frame[column]
    try:
        if to == "datetime":
            frame[column] = pd.to_datetime(col)
        elif to == "int":
            frame[column] = col.astype("Int64" if col.isna().any() else "int64")
        elif to == "str":
            frame[column] = col.astype(str)
        else:
            frame[column] = col.astype(to)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {column!r} to {to}: {str(exc).splitlines()[0]}") from None
    return frame


def _is_numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col))
