"""A node type read from source (untrusted folder) has the ports an import would give it.

The oracle is `tests/fixtures/fnd_nodes.py`, every port shape the foundation tests use: each of its
functions is read both ways and compared. What a source read cannot know raises `UncheckedType`.
"""

from __future__ import annotations

from pathlib import Path

import fnd_nodes
import pytest
from nodeloom.core.errors import NodeTypeError
from nodeloom.core.node_types import NodeType, node_type_from_function
from nodeloom.core.static_node_type import UNKNOWN_DEFAULT, UncheckedType, static_node_type
from nodeloom.core.trust import TrustPolicy, locate_module, policy_for

SOURCE = str(Path(fnd_nodes.__file__))
READABLE = ["add", "make_blob", "eat_blob", "eat_text", "split", "bare", "join", "choose", "maybe"]
READABLE += ["with_context", "bounded", "Thing", "star_args"]


def ports(node_type: NodeType) -> list[tuple]:
    def shape(p):  # noqa: ANN001, ANN202
        return (p.name, p.type, p.default, p.many, p.choices, p.minimum, p.maximum, p.nullable, p.widget)

    return [
        [shape(p) for p in node_type.inputs],
        [shape(p) for p in node_type.outputs],
        node_type.context_param,
        node_type.description,
        node_type.category,
    ]


@pytest.mark.parametrize("name", READABLE)
def test_source_read_matches_the_import(name: str) -> None:
    real = node_type_from_function(getattr(fnd_nodes, name), f"py:fnd_nodes:{name}")
    static = static_node_type(f"py:fnd_nodes:{name}", "fnd_nodes", name, SOURCE, f"'py:fnd_nodes:{name}'")
    assert ports(static) == ports(real)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("triple", "'triple' is assigned when the module runs"),
        ("add_ten", "'add_ten' is assigned when the module runs"),
        ("NOT_CALLABLE", "'NOT_CALLABLE' is assigned when the module runs"),
    ],
)
def test_what_only_running_could_tell_is_unchecked(name: str, reason: str) -> None:
    with pytest.raises(UncheckedType, match=reason):
        static_node_type(f"py:fnd_nodes:{name}", "fnd_nodes", name, SOURCE, name)


def test_errors_an_import_would_give_are_errors(tmp_path: Path) -> None:
    with pytest.raises(NodeTypeError, match="positional-only parameter 'a' cannot be a port") as info:
        static_node_type("py:fnd_nodes:takes_everything", "fnd_nodes", "takes_everything", SOURCE, "x")
    assert not isinstance(info.value, UncheckedType)
    with pytest.raises(NodeTypeError, match="'fnd_nodes' has no 'nope'"):
        static_node_type("py:fnd_nodes:nope", "fnd_nodes", "nope", SOURCE, "x")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("@other\ndef f(x): ...\n", "its decorator @other can change it"),
        (
            "from nodeloom import node\nO = ['a']\n@node(outputs=O)\ndef f(x): ...\n",
            "option 'outputs' is computed",
        ),
        ("from nodeloom import node\n@node(**OPTS)\ndef f(x): ...\n", "options are computed"),
        ("if X:\n    def f(x): ...\n", "'f' is assigned when the module runs"),
        ("from elsewhere import f\n", "'f' is imported when the module runs"),
        ("def __getattr__(name): ...\n", "'f' is not defined in the source"),
        ("def f(:\n", "its source does not parse (line 1)"),
    ],
)
def test_unreadable_shapes_name_the_reason(tmp_path: Path, source: str, reason: str) -> None:
    file = tmp_path / "m.py"
    file.write_text(source)
    with pytest.raises(UncheckedType, match=reason.replace("(", r"\(").replace(")", r"\)")):
        static_node_type("py:m:f", "m", "f", str(file), "'py:m:f'")


def test_annotations_and_defaults_read_safely(tmp_path: Path) -> None:
    """Annotations are never evaluated: a call in one is `any`; a computed default is 'has a default'."""
    file = tmp_path / "m.py"
    file.write_text(
        "import typing as t\nimport numpy as np\n"
        "def f(a: t.Optional[int], b: 'list[str]' = [], c: __import__('os').system('x') = 1,\n"
        "      d: np.ndarray = None, *, e: int | None = len('ab'), ctx: 'nodeloom.Context' = None): ...\n"
    )
    node_type = static_node_type("py:m:f", "m", "f", str(file), "'py:m:f'")
    by_name = {p.name: p for p in node_type.inputs}
    assert [(n, p.type, p.nullable) for n, p in by_name.items()] == [
        ("a", "int", True),
        ("b", "list", False),
        ("c", "any", False),
        ("d", "any", False),
        ("e", "int", True),
    ]
    assert by_name["a"].required and not by_name["e"].required
    assert by_name["e"].default is UNKNOWN_DEFAULT
    assert node_type.context_param == "ctx"


def test_locating_a_module_never_runs_it(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("raise SystemExit('ran')\n")
    (tmp_path / "pkg" / "sub.py").write_text("raise SystemExit('ran')\n")
    policy = policy_for(tmp_path / "p.json", trusted=False)
    found = locate_module("pkg.sub", policy)
    assert found is not None and found.untrusted_in == str(tmp_path.resolve())
    assert found.spec.origin == str(tmp_path / "pkg" / "sub.py")
    assert locate_module("json", policy).untrusted_in is None  # type: ignore[union-attr]
    assert locate_module("no_such_module_anywhere", policy) is None
    assert TrustPolicy().trusts_everything
