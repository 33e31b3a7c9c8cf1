"""`nodeloom nodes`: a table of node types with their ports, port types and descriptions."""

from __future__ import annotations

import pytest
from nodeloom.core.cli.main import main


def test_table_lists_every_builtin_with_ports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["TYPE", "INPUTS", "OUTPUTS", "DESCRIPTION"]
    assert set(lines[1]) <= {"-", " "}
    for name in ("data.value", "math.add", "math.sum", "text.join", "util.sleep", "ml.train_test_split"):
        assert any(line.startswith(name + " ") for line in lines), name
    add = next(i for i, line in enumerate(lines) if line.startswith("math.add "))
    assert "a: float" in lines[add] and "result: float" in lines[add] and "a + b" in lines[add]
    assert "b: float=0.0" in lines[add + 1]
    assert any("values: float[many]" in line for line in lines)
    assert "py:MODULE:FUNCTION" in out
    split = next(i for i, line in enumerate(lines) if line.startswith("ml.train_test_split "))
    outputs = " ".join(lines[split : split + 4])
    for port in ("X_train: numpy.ndarray", "X_test", "y_train", "y_test"):
        assert port in outputs


def test_filter_shows_matching_types_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes", "math."]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()[2:] if line and not line.startswith(" ")]
    names = [r.split()[0] for r in rows if not r.startswith("Any importable")]
    assert names and all(n.startswith("math.") for n in names)


def test_nodes_takes_no_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes", "a", "b"]) == 2
    assert "usage:" in capsys.readouterr().err
