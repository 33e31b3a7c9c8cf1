"""The registry: built-ins, `py:` functions read from their signatures, and entry-point plug-ins.

Reading a type never calls it; every way a callable can be unfit is a NodeTypeError with one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fnd_nodes
import pytest
from cli_runner import run_nodeloom
from nodeloom.core.errors import NodeTypeError
from nodeloom.core.node_types import NO_DEFAULT, source_hash
from nodeloom.core.registry import Registry, default_registry

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_builtins_are_registered_by_category() -> None:
    registry = Registry(entry_points=False)
    names = [t.name for t in registry.all()]
    assert {"data.value", "math.add", "math.sum", "text.join", "util.sleep", "ml.train_linear"} <= set(names)
    assert names == sorted(names, key=lambda n: (registry.get(n).category, n))
    add = registry.get("math.add")
    assert [(p.name, p.type, p.default) for p in add.inputs] == [
        ("a", "float", NO_DEFAULT),
        ("b", "float", 0.0),
    ]
    assert [(p.name, p.type) for p in add.outputs] == [("result", "float")]
    assert add.origin == "builtin" and add.category == "math" and add.description == "a + b"
    assert registry.get("math.sum").input("values").many
    assert registry.get("util.sleep").context_param == "ctx"
    assert registry.get("ml.sweep_l2").input("metric").choices == ("r2", "mse")


def test_default_registry_is_shared() -> None:
    assert default_registry() is default_registry()


def test_py_type_from_signature_and_hints() -> None:
    t = Registry(entry_points=False).get("py:fnd_nodes:add")
    assert t.origin == "py" and t.category == "python" and t.func is fnd_nodes.add
    assert [(p.name, p.type, p.required, p.default) for p in t.inputs] == [
        ("a", "int", True, NO_DEFAULT),
        ("b", "int", False, 1),
    ]
    assert [(p.name, p.type) for p in t.outputs] == [("result", "int")]
    assert t.description == "Add two integers."


@pytest.mark.parametrize(
    ("qualname", "inputs", "outputs"),
    [
        ("split", [("values", "list"), ("at", "float")], [("low", "list"), ("high", "list")]),
        ("Thing", [("size", "int"), ("name", "str")], [("result", "fnd_nodes.Thing")]),
        ("triple", [("x", "float")], [("result", "float")]),
        ("add_ten", [("a", "int"), ("b", "int")], [("result", "int")]),
        ("eat_path", [("path", "Path")], [("result", "str")]),  # unresolvable hint: its text
        ("star_args", [], [("result", "int")]),
        ("with_context", [("n", "int")], [("result", "int")]),
        ("Blob", [], [("result", "fnd_nodes.Blob")]),
    ],
)
def test_odd_but_fine_callables(qualname: str, inputs: list, outputs: list) -> None:
    t = Registry(entry_points=False).get(f"py:fnd_nodes:{qualname}")
    assert [(p.name, p.type) for p in t.inputs] == inputs
    assert [(p.name, p.type) for p in t.outputs] == outputs


def test_partial_defaults_and_optional_and_literal() -> None:
    registry = Registry(entry_points=False)
    assert registry.get("py:fnd_nodes:add_ten").input("b").default == 10
    maybe = registry.get("py:fnd_nodes:maybe")
    assert (
        maybe.input("count").nullable and maybe.input("count").required and maybe.input("count").type == "int"
    )
    assert maybe.input("note").nullable and maybe.input("note").default is None
    choose = registry.get("py:fnd_nodes:choose")
    assert (choose.input("mode").type, choose.input("mode").choices) == ("str", ("fast", "slow"))
    assert (choose.input("level").type, choose.input("level").choices) == ("int", (1, 2, 3))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("py:builtins:len", "positional-only parameter 'obj' cannot be a port"),
        ("py:functools:partial", "cannot read its signature"),
        ("py:fnd_nodes:NOT_CALLABLE", "is not a function (it is int)"),
        ("py:fnd_nodes:takes_everything", "positional-only parameter 'a'"),
        ("py:fnd_nodes:missing", "'fnd_nodes' has no 'missing'"),
        ("py:fnd_nodes:Blob.nothing", "'fnd_nodes' has no 'Blob.nothing'"),
        ("py:fnd_no_module_zz:f", "module 'fnd_no_module_zz' not found"),
        ("py:", "must look like py:MODULE:FUNCTION"),
        ("py:a:b:c", "must look like py:MODULE:FUNCTION"),
        ("nope.nothing", "unknown node type 'nope.nothing'"),
        ("x" * 500, "unknown node type 'xxx"),
    ],
)
def test_unfit_callables_are_node_type_errors(name: str, message: str) -> None:
    registry = Registry(entry_points=False)
    with pytest.raises(NodeTypeError) as caught:
        registry.get(name)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert len(str(caught.value)) < 300
    assert name not in registry
    with pytest.raises(NodeTypeError):  # failures are remembered, and still raised
        registry.get(name)


def test_forget_py_rereads_an_edited_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "fnd_editable_mod.py"
    module.write_text("def f(a: int) -> int:\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry(entry_points=False)
    first = registry.get("py:fnd_editable_mod:f")
    assert registry.get("py:fnd_editable_mod:f") is first
    module.write_text("def f(a: int, b: str = 'x') -> int:\n    return a\n")
    sys.modules.pop("fnd_editable_mod")
    registry.forget_py()
    second = registry.get("py:fnd_editable_mod:f")
    assert [p.name for p in second.inputs] == ["a", "b"] and second.code_hash != first.code_hash


def test_register_rejects_bad_names_and_bad_functions() -> None:
    registry = Registry(builtins=False, entry_points=False)
    with pytest.raises(NodeTypeError, match="must be lower-case dotted"):
        registry.register(fnd_nodes.add, name="Add")
    with pytest.raises(NodeTypeError, match="must be lower-case dotted"):
        registry.register(fnd_nodes.add)  # no name at all
    with pytest.raises(NodeTypeError, match="positional-only"):
        registry.register(fnd_nodes.takes_everything, name="t.everything")
    assert registry.register(fnd_nodes.add, name="t.add").name == "t.add"
    assert registry.get("t.add").category == "t"


def test_a_plugin_cannot_replace_a_builtin() -> None:
    registry = Registry(entry_points=False)
    with pytest.raises(NodeTypeError, match="built in; a plug-in cannot replace it"):
        registry.register(fnd_nodes.add, name="math.add", origin="entry_point")
    assert registry.get("math.add").origin == "builtin"


def test_source_hash_is_stable_across_processes_for_partials_and_builtins() -> None:
    code = "import fnd_nodes, builtins; from nodeloom.core.node_types import source_hash as h; print(h(fnd_nodes.add_ten), h(builtins.print), h(fnd_nodes.triple))"
    env = {**os.environ, "PYTHONPATH": str(FIXTURES)}
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1
    assert source_hash(fnd_nodes.add_ten) != source_hash(fnd_nodes.add)


# -- entry points -----------------------------------------------------------------------------------
def _install_fake_plugin(site: Path, entry_points: str) -> None:
    info = site / "fnd_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fnd-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_entry_point_plugins_add_node_types(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_fake_plugin(
        site,
        """
        [nodeloom.nodes]
        fnd = fnd_plugin
        fnd_factory = fnd_plugin:factory
        broken = fnd_no_such_plugin_module
        """,
    )
    listing = run_nodeloom("nodes", cwd=tmp_path, pythonpath=(site, FIXTURES))
    assert listing.returncode == 0, listing.stderr
    assert "fndplugin.double" in listing.stdout and "Twice x." in listing.stdout
    assert "fndplugin.triple" in listing.stdout
    assert "unnamed_helper" not in listing.stdout
    errors = listing.stderr.splitlines()
    assert any(
        "entry point fnd (fnd_plugin)" in line and "math.add" in line and "cannot replace" in line
        for line in errors
    )
    assert any("entry point broken" in line and "ModuleNotFoundError" in line for line in errors)
    assert "Traceback" not in listing.stderr
    add_row = next(line for line in listing.stdout.splitlines() if line.startswith("math.add "))
    assert "a + b" in add_row  # the built-in survived

    pipeline = tmp_path / "uses_plugin.json"
    pipeline.write_text(
        '{"format": "nodeloom.pipeline", "version": 1, "name": "p", "nodes": ['
        '{"id": "d", "type": "fndplugin.double", "params": {"x": 2}}, {"id": "t", "type": "fndplugin.triple"}],'
        '"edges": [{"from": "d.result", "to": "t.x"}]}'
    )
    checked = run_nodeloom("validate", str(pipeline), cwd=tmp_path, pythonpath=(site, FIXTURES))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == f"{pipeline}: ok (2 nodes, 1 edges)"


def test_without_the_plugin_its_types_are_unknown(tmp_path: Path) -> None:
    pipeline = tmp_path / "p.json"
    pipeline.write_text(
        '{"format": "nodeloom.pipeline", "version": 1, "name": "p", "nodes": [{"id": "d", "type": "fndplugin.double"}]}'
    )
    checked = run_nodeloom(
        "validate", str(pipeline), cwd=tmp_path, pythonpath=(tmp_path / "empty-site", FIXTURES)
    )
    assert checked.returncode == 2
    assert (
        checked.stderr.strip()
        == f"{pipeline}: node 'd': unknown node type 'fndplugin.double' (`nodeloom nodes` lists them)"
    )
