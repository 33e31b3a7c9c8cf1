"""Utility nodes of the library: assert a condition, a Python expression, log a value."""

from __future__ import annotations

import pandas as pd
import pytest
from nodeloom.core.builtins import util
from nodeloom.core.context import Context
from nodeloom.core.events import NodeLog


def test_assert_passes_the_value_or_fails_with_the_message() -> None:
    assert util.assert_value({"accuracy": 0.99}, "value['accuracy'] >= 0.98") == {"accuracy": 0.99}
    with pytest.raises(AssertionError, match=r"^test accuracy 0.5 is below 0.98$"):
        util.assert_value(0.5, "value >= 0.98", "test accuracy {value} is below 0.98")
    with pytest.raises(ValueError, match="condition: 'value >=' is not a Python expression"):
        util.assert_value(1, "value >=")

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    with pytest.raises(AssertionError, match="<Hostile>"):
        util.assert_value(Hostile(), "False")


def test_expression_over_inputs_with_numpy_and_pandas() -> None:
    frame = pd.DataFrame({"score": [0.3, 0.9, 0.5]})
    assert util.expression("a + b", 1, 2) == 3
    best = util.expression("a.sort_values('score', ascending=False).head(1)", frame)
    assert list(best["score"]) == [0.9]
    value = util.expression("np.sqrt(a['score']).max()", frame)
    assert type(value) is float and value == pytest.approx(0.9**0.5)
    assert util.expression("pd.Series(a).sum()", [1, 2, 3]) == 6


def test_log_writes_the_value_to_the_nodes_log() -> None:
    events: list = []
    assert util.log_value(Context("log", emit=events.append), 0.97, "accuracy {value:.2f}") == 0.97
    assert [e.message for e in events if isinstance(e, NodeLog)] == ["accuracy 0.97"]
