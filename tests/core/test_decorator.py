"""`@node`: bare and with options; it only attaches metadata, and typos in its options are caught."""

from __future__ import annotations

from typing import Literal

import pytest
from nodeloom.core import Context, node
from nodeloom.core.errors import NodeTypeError
from nodeloom.core.node_types import NodeMeta, node_type_from_function
from nodeloom.core.registry import Registry


def test_bare_decorator_keeps_the_function_callable() -> None:
    @node
    def shout(text: str = "hi") -> str:
        """Upper-case text."""
        return text.upper()

    assert shout("a") == "A"
    assert isinstance(shout.__nodeloom__, NodeMeta)
    t = node_type_from_function(shout, "py:m:shout")
    assert [(p.name, p.type, p.default) for p in t.inputs] == [("text", "str", "hi")]
    assert [(p.name, p.type) for p in t.outputs] == [("result", "str")]
    assert t.description == "Upper-case text."


def test_empty_parentheses_are_the_same_as_bare() -> None:
    @node()
    def f(x: int) -> int:
        return x

    assert f.__nodeloom__ == NodeMeta()


def test_options_shape_the_node_type() -> None:
    @node(
        outputs=["train", "test"],
        output_types={"train": "list"},
        many=["frames"],
        category="ml",
        description="Split frames.",
        icon="fa5s.cut",
        ports={"ratio": {"minimum": 0.0, "maximum": 1.0, "widget": "slider", "description": "test share"}},
    )
    def split(frames: list[dict], ctx: Context, ratio: float = 0.25, mode: Literal["a", "b"] = "a") -> tuple:
        return frames, frames

    t = node_type_from_function(split, "py:m:split")
    frames, ratio, mode = t.inputs
    assert (frames.name, frames.many, frames.type, frames.required) == ("frames", True, "dict", False)
    assert (ratio.minimum, ratio.maximum, ratio.widget, ratio.description) == (
        0.0,
        1.0,
        "slider",
        "test share",
    )
    assert mode.choices == ("a", "b")
    assert [(p.name, p.type) for p in t.outputs] == [("train", "list"), ("test", "any")]
    assert (t.category, t.description, t.icon, t.context_param) == ("ml", "Split frames.", "fa5s.cut", "ctx")
    assert t.split_outputs(([1], [2])) == {"train": [1], "test": [2]}
    assert t.split_outputs({"train": 1, "test": 2, "extra": 3}) == {"train": 1, "test": 2}
    with pytest.raises(TypeError, match="must return a tuple of 2 values"):
        t.split_outputs(5)


def test_a_single_string_is_one_name_not_its_letters() -> None:
    @node(outputs="model", many="parts")
    def f(parts: list) -> dict:
        return {}

    assert f.__nodeloom__.outputs == ("model",) and f.__nodeloom__.many == ("parts",)


def test_named_nodes_register_under_their_name() -> None:
    @node(name="fnd.echo", category="testing")
    def echo(value: int = 0) -> int:
        return value

    registry = Registry(builtins=False, entry_points=False)
    assert registry.register(echo).name == "fnd.echo"
    assert registry.get("fnd.echo").category == "testing"


def test_port_type_override() -> None:
    @node(ports={"data": {"type": "numpy.ndarray"}, "mode": {"choices": ["x", "y"]}})
    def f(data, mode: str = "x"):  # noqa: ANN001, ANN202 - an unannotated function is fine
        return data

    t = node_type_from_function(f, "py:m:f")
    assert t.input("data").type == "numpy.ndarray" and t.input("mode").choices == ("x", "y")
    assert t.outputs[0].type == "any"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"many": ["nope"]}, "many= names 'nope', which is not a parameter"),
        ({"ports": {"nope": {}}}, "ports= names 'nope', which is not a parameter"),
        ({"ports": {"x": {"minimun": 0}}}, "ports['x'] has unknown option 'minimun'"),
        ({"outputs": ["a b"]}, "output name 'a b' is not an identifier"),
        ({"outputs": ["a", "a"]}, "output names repeat"),
        ({"output_types": {"nope": "int"}}, "output_types names 'nope', which is not an output"),
        ({"ports": {"x": {"choices": 5}}}, "port 'x'"),
    ],
)
def test_typos_in_options_are_node_type_errors(options: dict, message: str) -> None:
    @node(name="fnd.typo", **options)
    def f(x: int) -> int:
        return x

    with pytest.raises(NodeTypeError) as caught:
        Registry(builtins=False, entry_points=False).register(f)
    assert message in str(caught.value)


def test_misused_decorator_raises_at_once() -> None:
    with pytest.raises(TypeError, match=r"@node\(name='x.y'\)"):
        node("x.y")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="port names as strings"):
        node(many=[1])  # type: ignore[list-item]
