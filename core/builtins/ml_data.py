"""Data nodes for tables: the offline scikit-learn data sets, the shipped sample files, and reading or
writing CSV, Parquet and JSON as pandas DataFrames.

Writes are atomic (a temporary file renamed over the target), so a failed or cancelled run never leaves
half a file; each writer outputs the path it wrote, so a later node can depend on the file existing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from .. import resources  # type: ignore[attr-defined]  # resources/ is mapped to nodeloom.core.resources at install
from .ml_common import SERIES, TABLE, as_table, atomic_path, column_list, ml_node, require_columns

DATASETS = ("iris", "digits", "wine", "breast_cancer", "diabetes")
DATA_DIR = Path(resources.__file__).resolve().parent / "data"
SAMPLE_FILES = ("customers.csv", "orders.csv")  # what resources/data ships (a test keeps them in step)
PATH_IN = {"type": "path", "widget": "path"}


@ml_node(
    "data.load_dataset",
    icon="fa5s.database",
    inputs={"name": {"choices": DATASETS}},
    outputs={"table": TABLE, "X": TABLE, "y": SERIES},
)
def load_dataset(name: str = "iris") -> tuple:
    """A scikit-learn toy data set that ships with the library (never downloaded): the whole table with a
    `target` column, and its features X and target y."""
    from sklearn import datasets

    if name not in DATASETS:
        raise ValueError(f"name: unknown data set {name!r} (choose one of {', '.join(DATASETS)})")
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    X = bunch.data
    y = bunch.target.rename("target")
    return bunch.frame.rename(columns={bunch.target.name: "target"}), X, y


def sample_files() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in DATA_DIR.glob("*") if p.is_file() and not p.name.startswith(".")))


@ml_node(
    "data.sample_file",
    icon="fa5s.file-alt",
    inputs={"name": {"choices": SAMPLE_FILES}},
    outputs="path",
)
def sample_file(name: str = "orders.csv") -> str:
    """The path of a small sample file shipped with Nodeloom (for trying the table nodes and the ETL example)."""
    path = DATA_DIR / name
    if Path(name).name != name or not path.is_file():
        raise FileNotFoundError(f"name: no sample file {name!r} (shipped: {', '.join(sample_files())})")
    return str(path)


@ml_node("data.read_csv", icon="fa5s.file-csv", inputs={"path": PATH_IN}, outputs=TABLE)
def read_csv(path: str, separator: str = ",", columns: list | None = None, dates: list | None = None) -> Any:
    """Read a CSV file with a header row into a table (types inferred; `dates` names columns to parse as dates)."""
    import pandas as pd

    return pd.read_csv(
        path, sep=separator, usecols=column_list(columns), parse_dates=column_list(dates, "dates") or False
    )


@ml_node("data.write_csv", icon="fa5s.file-export", inputs={"table": TABLE, "path": PATH_IN}, outputs="path")
def write_csv(table: Any, path: str, separator: str = ",", index: bool = False) -> str:
    """Write a table as a CSV file with a header row; outputs the path."""
    frame = as_table(table, "table")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep=separator, index=index)
    return str(path)


@ml_node("data.read_parquet", icon="fa5s.file-import", inputs={"path": PATH_IN}, outputs=TABLE)
def read_parquet(path: str, columns: list | None = None) -> Any:
    """Read a Parquet file into a table (optionally only some columns)."""
    import pandas as pd

    return pd.read_parquet(path, columns=column_list(columns))


@ml_node(
    "data.write_parquet", icon="fa5s.file-export", inputs={"table": TABLE, "path": PATH_IN}, outputs="path"
)
def write_parquet(table: Any, path: str, index: bool = False) -> str:
    """Write a table as a Parquet file (columnar, typed, compressed); outputs the path."""
    frame = as_table(table, "table")
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=index)
    return str(path)


@ml_node("data.read_json_table", icon="fa5s.file-code", inputs={"path": PATH_IN}, outputs=TABLE)
def read_json_table(path: str, lines: bool = False) -> Any:
    """Read a JSON file holding a list of records (or JSON Lines with `lines`) into a table."""
    import pandas as pd

    return pd.read_json(path, orient=None if lines else "records", lines=lines)


@ml_node(
    "data.write_json_table", icon="fa5s.file-export", inputs={"table": TABLE, "path": PATH_IN}, outputs="path"
)
def write_json_table(table: Any, path: str, lines: bool = False) -> str:
    """Write a table as JSON records (a list of objects, or one per line with `lines`); outputs the path."""
    frame = as_table(table, "table")
    with atomic_path(path) as tmp:
        frame.to_json(tmp, orient="records", lines=lines, indent=None if lines else 2, date_format="iso")
    return str(path)


@ml_node("data.describe", icon="fa5s.info-circle", inputs={"table": TABLE}, outputs=TABLE)
def describe(table: Any, include: Literal["numeric", "all"] = "all") -> Any:
    """A summary table: count, mean, spread and quantiles per column (and unique/top for text columns),
    with a `missing` row counting empty cells."""
    import pandas as pd

    frame = as_table(table, "table")
    summary = frame.describe(include="all" if include == "all" else None)
    missing = frame[summary.columns].isna().sum().rename("missing").to_frame().T
    return pd.concat([summary, missing]).rename_axis("statistic").reset_index()


@ml_node("data.get_column", icon="fa5s.columns", inputs={"table": TABLE}, outputs=SERIES)
def get_column(table: Any, column: str) -> Any:
    """One column of a table as a series (e.g. a target)."""
    frame = as_table(table, "table")
    require_columns(frame, [column], "column")
    return frame[column]
