"""The library in the registry: fast to register (no pandas/scikit-learn/matplotlib import), typed ports
that refuse a model wired into a table port, palette metadata, the deprecated demo nodes still loading,
and the three ways users add node types (their module's @node, NODELOOM_HOME/nodes, an entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_runner import nodeloom_env, run_nodeloom
from nodeloom.core.connections import check_connection
from nodeloom.core.file_format import loads
from nodeloom.core.model import Edge
from nodeloom.core.registry import Registry
from nodeloom.core.validation import validate

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "resources" / "examples"
HEAVY = ("pandas", "sklearn", "matplotlib", "pyarrow", "scipy", "joblib")
LIBRARY_CATEGORIES = {"data", "features", "models", "tuning", "evaluation", "util"}


def test_registering_and_validating_imports_no_heavy_library(tmp_path: Path) -> None:
    run = run_nodeloom(
        "validate",
        str(EXAMPLES / "digits_svm_grid_search.json"),
        python_flags=("-X", "importtime"),
        home=tmp_path,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}
    assert "nodeloom" in imported and not imported & set(HEAVY), imported & set(HEAVY)
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from nodeloom.core.registry import default_registry as r; "
            f"list(r().all()); print([m for m in {HEAVY!r} if m in sys.modules])",
        ],
        env=nodeloom_env(home=tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.stdout.strip() == "[]", listing.stderr


def test_every_library_node_has_palette_metadata() -> None:
    import qtawesome

    fonts = Path(qtawesome.__file__).parent / "fonts"
    solid = json.loads(next(fonts.glob("fontawesome5-solid-webfont-charmap-*.json")).read_text())
    library = [t for t in Registry(entry_points=False).all() if t.category in LIBRARY_CATEGORIES]
    assert len(library) > 50
    for node_type in library:
        assert node_type.description and node_type.icon, node_type.name
        assert node_type.icon.removeprefix("fa5s.") in solid, f"{node_type.name}: no icon {node_type.icon}"


def _doc(nodes: list, edges: list) -> str:
    return json.dumps(
        {"format": "nodeloom.pipeline", "version": 1, "name": "t", "nodes": nodes, "edges": edges}
    )


def test_a_model_wired_into_a_table_port_is_refused() -> None:
    registry = Registry(entry_points=False)
    nodes = [
        {"id": "model", "type": "models.estimator"},
        {"id": "scale", "type": "features.scale"},
        {"id": "data", "type": "data.load_dataset"},
        {"id": "fit", "type": "models.fit"},
    ]
    bad = loads(_doc(nodes, [{"from": "model.result", "to": "scale.X_train"}]))
    problems = [p.message for p in validate(bad, registry) if p.node == "scale"]
    assert problems == [
        "edge model.result -> scale.X_train: output type 'model' does not fit input type 'table'"
    ]
    check = check_connection(bad, registry, Edge("model", "result", "fit", "X"))
    assert not check.ok and check.reason == "model does not fit table"
    assert (
        check_connection(bad, registry, Edge("data", "y", "fit", "X")).reason == "series does not fit table"
    )
    good = loads(
        _doc(nodes, [{"from": "model.result", "to": "fit.model"}, {"from": "data.X", "to": "fit.X"}])
    )
    assert [p.message for p in validate(good, registry) if p.node == "fit"] == []
    transformer = Edge("scale", "transformer", "fit", "model")  # a fitted transformer is an estimator
    assert check_connection(good, registry, transformer).ok


def test_user_functions_annotated_with_pandas_types_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "fnd_user_frames.py"
    module.write_text(
        "import pandas as pd\n\n"
        "def clean(frame: pd.DataFrame, column: str = 'a') -> pd.DataFrame:\n    return frame.dropna()\n\n"
        "def target(frame: pd.DataFrame) -> pd.Series:\n    return frame.iloc[:, 0]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry(entry_points=False)
    clean = registry.get("py:fnd_user_frames:clean")
    assert (clean.input("frame").type, clean.outputs[0].type) == ("table", "table")
    assert registry.get("py:fnd_user_frames:target").outputs[0].type == "series"


def test_the_old_numpy_demo_still_loads_and_runs_with_a_deprecation_warning(tmp_path: Path) -> None:
    run = run_nodeloom(
        "run", str(EXAMPLES / "regression_demo.json"), home=tmp_path, cwd=tmp_path, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "warning: this NumPy demo node is deprecated: use features.train_test_split" in run.stdout


# -- extending ----------------------------------------------------------------------------------
USER_NODES = """
from nodeloom.core import node


@node(name="mine.clip", category="mine", icon="fa5s.cut",
      ports={"table": {"type": "table"}}, output_types={"result": "table"})
def clip(table, column: str, low: float = 0.0, high: float = 1.0):
    \"\"\"Clip one column of a table to [low, high].\"\"\"
    out = table.copy()
    out[column] = out[column].clip(low, high)
    return out


@node
def shout(text: str) -> str:
    \"\"\"Upper-case text.\"\"\"
    return text.upper()
"""


def _pipeline(path: Path, nodes: list, edges: list) -> Path:
    path.write_text(_doc(nodes, edges))
    return path


def test_a_nodes_folder_in_nodeloom_home_is_loaded_at_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "nodes").mkdir(parents=True)
    (home / "nodes" / "my_nodes.py").write_text(USER_NODES)
    (home / "nodes" / "broken.py").write_text("import os\n\nvalue = 1\nraise RuntimeError('half written')\n")
    (home / "nodes" / "typo.py").write_text("def f(:\n    pass\n")
    listing = run_nodeloom("nodes", home=home, cwd=tmp_path, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert (
        "mine.clip" in listing.stdout
        and "my_nodes.shout" in listing.stdout
        and "Upper-case text." in listing.stdout
    )
    errors = listing.stderr.splitlines()
    assert f"nodeloom: {home / 'nodes' / 'broken.py'} line 4: RuntimeError: half written" in errors
    assert f"nodeloom: {home / 'nodes' / 'typo.py'} line 1: SyntaxError: invalid syntax" in errors
    assert "Traceback" not in listing.stderr
    uses_broken = _pipeline(tmp_path / "uses_broken.json", [{"id": "b", "type": "broken.step"}], [])
    checked = run_nodeloom("validate", str(uses_broken), home=home, cwd=tmp_path, timeout=300)
    assert checked.returncode == 2 and "broken.py line 4: RuntimeError: half written" in checked.stderr
    pipeline = _pipeline(
        tmp_path / "p.json",
        [
            {"id": "data", "type": "data.load_dataset", "params": {"name": "iris"}},
            {"id": "clip", "type": "mine.clip", "params": {"column": "sepal width (cm)", "high": 3.0}},
            {"id": "loud", "type": "my_nodes.shout", "params": {"text": "done"}},
        ],
        [{"from": "data.X", "to": "clip.table"}],
    )
    for backend in ("threads", "processes"):  # worker processes import the same file by its package name
        run = run_nodeloom(
            "run",
            str(pipeline),
            "--backend",
            backend,
            "--no-cache",
            "--results",
            str(tmp_path / "r.json"),
            home=home,
            cwd=tmp_path,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        outputs = json.loads((tmp_path / "r.json").read_text())["nodes"]
        assert (
            outputs["loud"]["outputs"]["result"] == "DONE"
            and outputs["clip"]["outputs"]["result"] == "DataFrame 150 x 4"
        )


def test_an_entry_point_package_adds_node_types(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "acme_nodes").mkdir(parents=True)
    (site / "acme_nodes" / "__init__.py").write_text(USER_NODES.replace("mine.clip", "acme.clip"))
    info = site / "acme_nodes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-nodes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[nodeloom.nodes]\nacme = acme_nodes\n")
    pipeline = _pipeline(
        tmp_path / "p.json",
        [
            {"id": "data", "type": "data.load_dataset", "params": {"name": "iris"}},
            {"id": "clip", "type": "acme.clip", "params": {"column": "sepal width (cm)"}},
        ],
        [{"from": "data.X", "to": "clip.table"}],
    )
    run = run_nodeloom(
        "run", str(pipeline), home=tmp_path / "home", cwd=tmp_path, pythonpath=(str(site),), timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    listing = run_nodeloom(
        "nodes", "acme", home=tmp_path / "home", cwd=tmp_path, pythonpath=(str(site),), timeout=300
    )
    assert "acme.clip" in listing.stdout and "table: table" in listing.stdout


def test_a_decorated_function_in_the_users_module(tmp_path: Path) -> None:
    (tmp_path / "team_steps.py").write_text(textwrap.dedent(USER_NODES))
    pipeline = _pipeline(
        tmp_path / "p.json",
        [
            {"id": "data", "type": "data.load_dataset", "params": {"name": "iris"}},
            {"id": "clip", "type": "py:team_steps:clip", "params": {"column": "sepal width (cm)"}},
            {"id": "n", "type": "util.expression", "params": {"expression": "a['sepal width (cm)'].max()"}},
        ],
        [{"from": "data.X", "to": "clip.table"}, {"from": "clip.result", "to": "n.a"}],
    )
    run = run_nodeloom(
        "run", str(pipeline), "--results", "r.json", home=tmp_path / "home", cwd=tmp_path, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads((tmp_path / "r.json").read_text())["nodes"]["n"]["outputs"]["result"] == 1.0
