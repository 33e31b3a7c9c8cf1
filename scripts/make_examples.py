"""Write the AI examples in resources/examples/ from the compact definitions below, laid out by
`nodeloom.core.layout` with the canvas's node sizes, so every example opens readable (no overlapping
nodes, wires in channels of their own). Run it again after changing a definition; commit the JSON."""

from __future__ import annotations

import json
from pathlib import Path

from nodeloom.core.file_format import dumps, loads
from nodeloom.core.layout import layout
from nodeloom.core.registry import Registry
from nodeloom.core.validation import validate

OUT = Path(__file__).resolve().parents[1] / "resources" / "examples"
HEADER, ROW, PAD, WIDTH = 42.0, 20.0, 8.0, 200.0  # desktop/canvas/style.node_size
H_GAP = 110.0


def node_size(node_type) -> tuple[float, float]:
    rows = max(len(node_type.inputs), len(node_type.outputs), 1)
    return WIDTH, HEADER + rows * ROW + PAD + 20.0  # + the run status line under the node


def port_point(doc: dict, registry, node_id: str, port: str, output: bool) -> tuple[float, float]:
    """Where a port sits on the canvas (desktop/canvas/port_item.local_pos)."""
    pos = doc["ui"]["nodes"][node_id]
    node = next(n for n in doc["nodes"] if n["id"] == node_id)
    node_type = registry.get(node["type"])
    ports = node_type.outputs if output else node_type.inputs
    row = [p.name for p in ports].index(port)
    return pos["x"] + (WIDTH if output else 0.0), pos["y"] + HEADER + (row + 0.5) * ROW


def layout_problems(doc: dict, registry) -> list[str]:
    """Overlapping nodes, and wires (drawn as the canvas draws them) passing through a third node."""
    rects = {}
    for node in doc["nodes"]:
        w, h = node_size(registry.get(node["type"]))
        pos = doc["ui"]["nodes"][node["id"]]
        rects[node["id"]] = (pos["x"], pos["y"], pos["x"] + w, pos["y"] + h)
    problems = []
    ids = list(rects)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            ra, rb = rects[a], rects[b]
            if ra[0] < rb[2] + 20 and rb[0] < ra[2] + 20 and ra[1] < rb[3] + 10 and rb[1] < ra[3] + 10:
                problems.append(f"nodes {a} and {b} overlap")
    for edge in doc["edges"]:
        src, src_port = edge["from"].split(".")
        dst, dst_port = edge["to"].split(".")
        x0, y0 = port_point(doc, registry, src, src_port, True)
        x3, y3 = port_point(doc, registry, dst, dst_port, False)
        dx = x3 - x0
        bend = max(40.0, abs(dx) * 0.5, min(abs(y3 - y0) * 0.5, 160.0) if dx < 0 else 0.0)
        x1, x2 = x0 + bend, x3 - bend  # desktop/canvas/edge_item.wire_path
        for k in range(1, 80):
            s = k / 80
            x = (1 - s) ** 3 * x0 + 3 * (1 - s) ** 2 * s * x1 + 3 * (1 - s) * s**2 * x2 + s**3 * x3
            y = (1 - s) ** 3 * y0 + 3 * (1 - s) ** 2 * s * y0 + 3 * (1 - s) * s**2 * y3 + s**3 * y3
            hit = [
                n
                for n, r in rects.items()
                if n not in (src, dst) and r[0] - 4 < x < r[2] + 4 and r[1] - 4 < y < r[3] + 4
            ]
            if hit:
                problems.append(f"wire {edge['from']} -> {edge['to']} crosses node {hit[0]}")
                break
    return problems


def write(
    filename: str,
    name: str,
    description: str,
    nodes: list[dict],
    edges: list[tuple[str, str]],
    parameters: dict | None = None,
    columns: list[list[tuple[str, float]]] | None = None,
) -> None:
    """Validate and write one example; `columns` places nodes by hand: columns of (node id, top y)."""
    registry = Registry(entry_points=False)
    doc = {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": name,
        "description": description,
        "parameters": parameters or {},
        "nodes": nodes,
        "edges": [{"from": a, "to": b} for a, b in edges],
    }
    if columns:
        placed = {nid: {"x": c * (WIDTH + H_GAP), "y": y} for c, col in enumerate(columns) for nid, y in col}
    else:
        sizes = {n["id"]: node_size(registry.get(n["type"])) for n in nodes}
        pairs = [(a.split(".")[0], b.split(".")[0]) for a, b in edges]
        found = layout([n["id"] for n in nodes], pairs, sizes, h_gap=H_GAP, v_gap=40.0)
        placed = {nid: {"x": x, "y": y} for nid, (x, y) in found.items()}
    doc["ui"] = {"nodes": {nid: {"x": round(p["x"]), "y": round(p["y"])} for nid, p in placed.items()}}
    text = json.dumps(doc, indent=2) + "\n"
    problems = [str(p) for p in validate(loads(text), registry)] + layout_problems(doc, registry)
    if problems:
        print(f"{filename}:\n  " + "\n  ".join(problems))
    (OUT / filename).write_text(dumps(loads(text)), encoding="utf-8")  # the format's canonical form
    print("wrote", OUT / filename)


def main() -> None:
    write(
        "digits_svm_grid_search.json",
        "digits-svm-grid-search",
        "Digits: an RBF SVM tuned by a parallel grid search over C and gamma (each trial a bar on the "
        "timeline), refitted on the training part and scored on a held-out quarter (accuracy >= 0.98)",
        [
            {"id": "digits", "type": "data.load_dataset", "label": "Digits", "params": {"name": "digits"}},
            {
                "id": "split",
                "type": "features.train_test_split",
                "label": "Hold out a quarter",
                "params": {"test_size": 0.25, "stratify": True, "seed": {"$param": "seed"}},
            },
            {
                "id": "svm",
                "type": "models.estimator",
                "label": "RBF SVM",
                "params": {"kind": "svm_classifier", "params": {"kernel": "rbf"}},
            },
            {
                "id": "search",
                "type": "tuning.grid_search",
                "label": "Grid search C x gamma",
                "params": {
                    "space": {"C": [1, 10, 100], "gamma": [0.0001, 0.0005, 0.001, 0.005]},
                    "folds": 3,
                    "seed": {"$param": "seed"},
                },
            },
            {
                "id": "accuracy",
                "type": "evaluation.score",
                "label": "Test accuracy",
                "params": {"metric": "accuracy"},
            },
            {
                "id": "check",
                "type": "util.assert",
                "label": "Accuracy >= 0.98",
                "params": {"condition": "value >= 0.98", "message": "test accuracy {value} is below 0.98"},
            },
            {"id": "confusion", "type": "evaluation.confusion_matrix", "label": "Confusion matrix"},
        ],
        [
            ("digits.X", "split.X"),
            ("digits.y", "split.y"),
            ("svm.result", "search.model"),
            ("split.X_train", "search.X"),
            ("split.y_train", "search.y"),
            ("search.best_model", "accuracy.model"),
            ("split.X_test", "accuracy.X"),
            ("split.y_test", "accuracy.y"),
            ("accuracy.result", "check.value"),
            ("search.best_model", "confusion.model"),
            ("split.X_test", "confusion.X"),
            ("split.y_test", "confusion.y"),
        ],
        {"seed": 0},
        columns=[
            [("digits", 0)],
            [("svm", -270), ("split", 0)],
            [("search", -240)],
            [("accuracy", 20), ("confusion", 260)],
            [("check", 20)],
        ],
    )
    fits = [
        ("logreg", "Logistic regression", "logistic_regression", {"max_iter": 1000}),
        ("forest", "Random forest", "random_forest_classifier", {"n_estimators": 200}),
        ("svm", "SVM", "svm_classifier", {"C": 1.0}),
    ]
    nodes = [
        {
            "id": "cancer",
            "type": "data.load_dataset",
            "label": "Breast cancer",
            "params": {"name": "breast_cancer"},
        },
        {
            "id": "split",
            "type": "features.train_test_split",
            "label": "Train/test split",
            "params": {"test_size": 0.25, "stratify": True, "seed": 0},
        },
        {"id": "scale", "type": "features.scale", "label": "Standard scaling"},
    ]
    edges = [
        ("cancer.X", "split.X"),
        ("cancer.y", "split.y"),
        ("split.X_train", "scale.X_train"),
        ("split.X_test", "scale.X_test"),
    ]
    for nid, label, kind, params in fits:
        nodes.append(
            {
                "id": nid,
                "type": "models.estimator",
                "label": label,
                "params": {"kind": kind, "params": params},
            }
        )
        nodes.append(
            {
                "id": f"fit_{nid}",
                "type": "models.fit",
                "label": f"Fit {label.lower() if nid != 'svm' else 'SVM'}",
            }
        )
        edges += [
            (f"{nid}.result", f"fit_{nid}.model"),
            ("scale.X_train", f"fit_{nid}.X"),
            ("split.y_train", f"fit_{nid}.y"),
        ]
    nodes.append({"id": "metrics", "type": "evaluation.metrics_table", "label": "Metrics table"})
    nodes.append({"id": "roc", "type": "evaluation.roc_curve", "label": "ROC curves"})
    for nid, *_ in fits:
        edges += [(f"fit_{nid}.result", "metrics.models"), (f"fit_{nid}.result", "roc.models")]
    edges += [
        ("scale.X_test", "metrics.X"),
        ("split.y_test", "metrics.y"),
        ("scale.X_test", "roc.X"),
        ("split.y_test", "roc.y"),
    ]
    write(
        "breast_cancer_models.json",
        "breast-cancer-models",
        "Breast cancer: logistic regression, a random forest and an SVM fitted on the same scaled training "
        "part, compared in one metrics table and one ROC chart on the held-out part",
        nodes,
        edges,
        columns=[
            [("cancer", 0)],
            [("split", 0), ("logreg", 230), ("forest", 400), ("svm", 570)],
            [("scale", -230)],
            [("fit_logreg", 100), ("fit_forest", 270), ("fit_svm", 440)],
            [("roc", -420), ("metrics", -210)],
        ],
    )
    write(
        "diabetes_ridge.json",
        "diabetes-ridge",
        "Diabetes progression: median imputation and standard scaling fitted on the training part, a ridge "
        "regression, its MAE/RMSE/R2 on the test part and a predicted-vs-actual plot",
        [
            {
                "id": "diabetes",
                "type": "data.load_dataset",
                "label": "Diabetes",
                "params": {"name": "diabetes"},
            },
            {
                "id": "split",
                "type": "features.train_test_split",
                "label": "Train/test split",
                "params": {"test_size": 0.25, "seed": 0},
            },
            {
                "id": "impute",
                "type": "features.impute",
                "label": "Impute (median)",
                "params": {"strategy": "median"},
            },
            {"id": "scale", "type": "features.scale", "label": "Standard scaling"},
            {
                "id": "ridge",
                "type": "models.estimator",
                "label": "Ridge",
                "params": {"kind": "ridge", "params": {"alpha": 1.0}},
            },
            {"id": "fit", "type": "models.fit", "label": "Fit ridge"},
            {"id": "metrics", "type": "evaluation.regression_metrics", "label": "MAE / RMSE / R2"},
            {"id": "plot", "type": "evaluation.predicted_vs_actual", "label": "Predicted vs actual"},
        ],
        [
            ("diabetes.X", "split.X"),
            ("diabetes.y", "split.y"),
            ("split.X_train", "impute.X_train"),
            ("split.X_test", "impute.X_test"),
            ("impute.X_train", "scale.X_train"),
            ("impute.X_test", "scale.X_test"),
            ("ridge.result", "fit.model"),
            ("scale.X_train", "fit.X"),
            ("split.y_train", "fit.y"),
            ("fit.result", "metrics.model"),
            ("scale.X_test", "metrics.X"),
            ("split.y_test", "metrics.y"),
            ("fit.result", "plot.model"),
            ("scale.X_test", "plot.X"),
            ("split.y_test", "plot.y"),
        ],
        columns=[
            [("diabetes", 0)],
            [("split", 0), ("ridge", 230)],
            [("impute", 300)],
            [("scale", 300)],
            [("fit", -150)],
            [("metrics", 0), ("plot", 190)],
        ],
    )
    write(
        "orders_etl.json",
        "orders-etl",
        "ETL of the shipped orders.csv: drop duplicate rows, keep paid orders with a valid price, fill "
        "missing quantities, compute amounts, join the customers, total per region, write Parquet to the "
        "`out` parameter (a path relative to the folder the run starts in)",
        [
            {
                "id": "orders_file",
                "type": "data.sample_file",
                "label": "orders.csv",
                "params": {"name": "orders.csv"},
            },
            {
                "id": "orders",
                "type": "data.read_csv",
                "label": "Read orders",
                "params": {"dates": ["order_date"]},
            },
            {"id": "dedupe", "type": "data.drop_duplicates", "label": "Drop duplicate rows"},
            {
                "id": "paid",
                "type": "data.filter_rows",
                "label": "Paid, valid price",
                "params": {"query": 'status == "paid" and unit_price > 0'},
            },
            {
                "id": "quantity",
                "type": "data.fill_missing",
                "label": "Missing quantity = 1",
                "params": {"strategy": "value", "value": 1, "columns": ["quantity"]},
            },
            {
                "id": "as_int",
                "type": "data.cast_column",
                "label": "Quantity as int",
                "params": {"column": "quantity", "to": "int"},
            },
            {
                "id": "amount",
                "type": "data.add_column",
                "label": "Amount",
                "params": {"name": "amount", "expression": "quantity * unit_price"},
            },
            {
                "id": "customers_file",
                "type": "data.sample_file",
                "label": "customers.csv",
                "params": {"name": "customers.csv"},
            },
            {"id": "customers", "type": "data.read_csv", "label": "Read customers"},
            {
                "id": "join",
                "type": "data.join",
                "label": "Join customers",
                "params": {"on": ["customer_id"], "how": "left"},
            },
            {
                "id": "by_region",
                "type": "data.group_by",
                "label": "Totals per region",
                "params": {
                    "by": ["region"],
                    "aggregations": {"amount": ["sum", "mean"], "order_id": "count"},
                },
            },
            {
                "id": "sort",
                "type": "data.sort_rows",
                "label": "Largest first",
                "params": {"by": ["amount_sum"], "ascending": False},
            },
            {
                "id": "write",
                "type": "data.write_parquet",
                "label": "Write Parquet",
                "params": {"path": {"$param": "out"}},
            },
        ],
        [
            ("orders_file.result", "orders.path"),
            ("orders.result", "dedupe.table"),
            ("dedupe.result", "paid.table"),
            ("paid.result", "quantity.table"),
            ("quantity.result", "as_int.table"),
            ("as_int.result", "amount.table"),
            ("customers_file.result", "customers.path"),
            ("amount.result", "join.left"),
            ("customers.result", "join.right"),
            ("join.result", "by_region.table"),
            ("by_region.result", "sort.table"),
            ("sort.result", "write.table"),
        ],
        {"out": "build/etl/sales_by_region.parquet"},
        columns=[
            [("orders_file", 0)],
            [("orders", 0)],
            [("dedupe", 0)],
            [("paid", 0)],
            [("quantity", 0)],
            [("as_int", 0), ("customers_file", 220)],
            [("amount", 0), ("customers", 220)],
            [("join", 0)],
            [("by_region", 0)],
            [("sort", 0)],
            [("write", 0)],
        ],
    )
    write(
        "mlp_live_loss.json",
        "mlp-live-loss",
        "Digits: an MLP trained epoch by epoch with partial_fit; its loss and validation accuracy stream "
        "live into the Metrics chart, then the test accuracy and the training history plot",
        [
            {"id": "digits", "type": "data.load_dataset", "label": "Digits", "params": {"name": "digits"}},
            {
                "id": "split",
                "type": "features.train_test_split",
                "label": "Train/test split",
                "params": {"test_size": 0.25, "stratify": True, "seed": 0},
            },
            {"id": "scale", "type": "features.scale", "label": "Standard scaling"},
            {
                "id": "mlp",
                "type": "models.estimator",
                "label": "MLP 64 hidden",
                "params": {
                    "kind": "mlp_classifier",
                    "params": {"hidden_layer_sizes": [64], "learning_rate_init": 0.005},
                },
            },
            {
                "id": "train",
                "type": "models.train_iterative",
                "label": "Train (partial_fit)",
                "params": {"epochs": {"$param": "epochs"}, "seed": 0},
            },
            {
                "id": "accuracy",
                "type": "evaluation.score",
                "label": "Test accuracy",
                "params": {"metric": "accuracy"},
            },
            {"id": "history", "type": "evaluation.plot_history", "label": "Loss curve"},
        ],
        [
            ("digits.X", "split.X"),
            ("digits.y", "split.y"),
            ("split.X_train", "scale.X_train"),
            ("split.X_test", "scale.X_test"),
            ("mlp.result", "train.model"),
            ("scale.X_train", "train.X_train"),
            ("split.y_train", "train.y_train"),
            ("scale.X_test", "train.X_val"),
            ("split.y_test", "train.y_val"),
            ("train.model", "accuracy.model"),
            ("scale.X_test", "accuracy.X"),
            ("split.y_test", "accuracy.y"),
            ("train.history", "history.history"),
        ],
        {"epochs": 30},
        columns=[
            [("digits", 0)],
            [("split", 0), ("mlp", 230)],
            [("scale", -250)],
            [("train", 0)],
            [("accuracy", -250), ("history", -20)],
        ],
    )


if __name__ == "__main__":
    main()
