"""Hostile inputs through the real CLI: one clear line and exit 2, never a hang, the same verdict from
`validate` and `run`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_runner import run_nodeloom
from nodeloom.core.file_text import MAX_FILE_BYTES, MAX_NESTING


def document(nodes: list[dict], edges: list[dict] | None = None, **top: object) -> dict:
    return {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": "p",
        **top,
        "nodes": nodes,
        "edges": edges or [],
    }


def write(tmp_path: Path, content: dict | str | bytes, name: str = "p.json") -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def both(path: Path, tmp_path: Path) -> list[tuple[int, str]]:
    """(exit code, stderr) of `validate` and of `run`."""
    return [
        (done.returncode, done.stderr)
        for done in (
            run_nodeloom("validate", str(path), cwd=tmp_path),
            run_nodeloom("run", str(path), cwd=tmp_path),
        )
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    line = f"{fifo}: is a FIFO (named pipe), not a regular file\n"
    assert both(fifo, tmp_path) == [(2, line), (2, line)]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("directory", lambda p: p.mkdir(), "is a directory, not a pipeline file"),
        ("loop", lambda p: (p.symlink_to(p.with_name("q.json")), p.with_name("q.json").symlink_to(p)), None),
        ("latin1", lambda p: p.write_bytes(b'{"name": "caf\xe9"}'), "not UTF-8 text (bad byte at offset 13)"),
        (
            "utf16",
            lambda p: p.write_bytes('{"a": 1}'.encode("utf-16")),
            "the file is UTF-16; a pipeline file must be UTF-8",
        ),
        (
            "huge",
            lambda p: os.truncate(p.open("wb").close() or p, MAX_FILE_BYTES + 1),
            f"file is too large (67 MB; the limit is {MAX_FILE_BYTES // 2**20} MiB)",
        ),
    ],
)
def test_unreadable_files_one_line_exit_2(tmp_path: Path, name: str, make, message: str | None) -> None:  # noqa: ANN001
    path = tmp_path / "p.json"
    make(path)
    for code, err in both(path, tmp_path):
        assert code == 2 and err.count("\n") == 1, err
        assert err == f"{path}: {message or 'cannot read: a loop of symbolic links'}\n"


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "Infinity", "-Infinity", "NaN"])
def test_numbers_json_cannot_hold_are_refused_with_line_and_column(tmp_path: Path, literal: str) -> None:
    head = '{"format": "nodeloom.pipeline", "version": 1, "name": "p",\n'
    text = head + ' "nodes": [{"id": "a", "type": "data.value", "params": {"value": ' + literal + "}}]}"
    path = write(tmp_path, text)
    reason = (
        f"the number {literal} is too large (it would be infinite)"
        if "e" in literal
        else f"{literal} is not valid JSON"
    )
    column = text.splitlines()[1].index(literal) + 1
    line = f"{path}: invalid JSON at line 2 column {column}: {reason}\n"
    assert both(path, tmp_path) == [(2, line), (2, line)]


def nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


def test_one_nesting_limit_for_validate_and_run(tmp_path: Path) -> None:
    # document, nodes, node, params: four levels before the value's own
    deepest_allowed = write(
        tmp_path,
        document([{"id": "a", "type": "data.value", "params": {"value": nested(MAX_NESTING - 4)}}]),
        "ok.json",
    )
    results = tmp_path / "r.json"
    assert run_nodeloom("validate", str(deepest_allowed), cwd=tmp_path).returncode == 0
    ran = run_nodeloom(
        "run", str(deepest_allowed), "--results", str(results), "--backend", "processes", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(results.read_text())["nodes"]["a"]["status"] == "succeeded"
    for levels in (MAX_NESTING - 3, 600, 3000):
        text = json.dumps(document([{"id": "a", "type": "data.value", "params": {"value": 0}}]))
        too_deep = write(tmp_path, text.replace('"value": 0', '"value": ' + "[" * levels + "]" * levels))
        column = too_deep.read_text().index("[" * (MAX_NESTING - 3)) + MAX_NESTING - 3
        line = f"{too_deep}: invalid JSON at line 1 column {column}: nested more than {MAX_NESTING} levels deep\n"
        assert both(too_deep, tmp_path) == [(2, line), (2, line)]


def test_a_deep_set_value_is_refused_by_the_same_limit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        document(
            [{"id": "a", "type": "data.value", "params": {"value": {"$param": "x"}}}], parameters={"x": 1}
        ),
    )
    done = run_nodeloom("run", str(path), "--set", f"x={json.dumps(nested(MAX_NESTING))}", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        f"{path}: parameter 'x': nested more than {MAX_NESTING} levels deep\n",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nodes": [{"id": "a\n", "type": "data.value"}]}, "nodes[0]: invalid node id 'a\\n'"),
        ({"nodes": [{"id": "a", "type": "data.value\n"}]}, "node 'a': unknown node type 'data.value\\n'"),
        ({"nodes": [{"id": "a", "type": "py:textwrap:dedent\n"}]}, "must look like py:MODULE:FUNCTION"),
        ({"parameters": {"a\n": 1}}, "invalid parameter name 'a\\n'"),
        ({"parameters": {"a=b": 1}}, "invalid parameter name 'a=b'"),
        ({"edges": [{"from": "a\n.result", "to": "b.value"}]}, "edge a\\n.result -> b.value: no node 'a\\n'"),
        ({"edges": [{"from": "a.result\n", "to": "b.value"}]}, "'from' must look like 'NODE.PORT'"),
    ],
)
def test_names_are_matched_whole_not_up_to_a_trailing_newline(
    tmp_path: Path, change: dict, message: str
) -> None:
    base = document(
        [{"id": "a", "type": "data.value", "params": {"value": 1}}, {"id": "b", "type": "util.log"}]
    )
    path = write(tmp_path, {**base, **change})
    for code, err in both(path, tmp_path):
        assert code == 2 and message in err, err


def test_target_names_must_match_a_node_exactly(tmp_path: Path) -> None:
    path = write(tmp_path, document([{"id": "a", "type": "data.value", "params": {"value": 1}}]))
    done = run_nodeloom("run", str(path), "--target", "a\n", cwd=tmp_path)
    assert done.returncode == 2 and "unknown target node 'a\\n'" in done.stderr


def test_set_names_must_match_a_parameter_exactly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        document(
            [{"id": "a", "type": "data.value", "params": {"value": {"$param": "a"}}}], parameters={"a": 1}
        ),
    )
    done = run_nodeloom("run", str(path), "--set", "a\n=2", cwd=tmp_path)
    assert done.returncode == 2 and "--set a\\n: no such pipeline parameter (defined: a)" in done.stderr
