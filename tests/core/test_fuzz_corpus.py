"""The bad-input corpus: every malformed file we can think of must make the command exit 2 with one
line per problem and never a traceback.

The whole corpus goes through the command's entry point in-process (`main([...])`, what the console
script calls); the cases where the process itself matters (encodings, sizes, nesting, the file system,
control characters) also go through the real command line in a subprocess. The corpus runs against
`validate`, and against `run` once that command exists (skipped while `nodeloom run --help` fails).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fnd_helpers import check_output, run_cli
from nodeloom.core.cli.main import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
WRONG_VALUES: list[Any] = [None, True, 0, -3, 1.5, "text", "", [], [1], {}, {"a": 1}]
GOOD = {"format": "nodeloom.pipeline", "version": 1, "name": "corpus"}
NODES = [{"id": "a", "type": "data.value", "params": {"value": 1}}, {"id": "b", "type": "util.log"}]
EDGES = [{"from": "a.result", "to": "b.value"}]


def _doc(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        **GOOD,
        "nodes": json.loads(json.dumps(NODES)),
        "edges": json.loads(json.dumps(EDGES)),
    }
    out.update(changes)
    return {k: v for k, v in out.items() if v is not ...}


def _node_with(field: str, value: Any) -> dict[str, Any]:
    document = _doc()
    if value is ...:
        del document["nodes"][0][field]
    else:
        document["nodes"][0][field] = value
    return document


def _edge_with(field: str, value: Any) -> dict[str, Any]:
    document = _doc()
    document["edges"][0][field] = value
    return document


def _text(document: Any) -> bytes:
    return json.dumps(document).encode()


def corpus() -> dict[str, bytes | Callable[[Path], Path]]:
    """name -> file content, or a function that makes the odd file (directory, sparse, unreadable) and returns it."""
    cases: dict[str, bytes | Callable[[Path], Path]] = {
        "empty": b"",
        "whitespace": b"  \n\t\r\n  ",
        "truncated": _text(_doc())[:57],
        "only-brace": b"{",
        "binary-nul": bytes(range(256)) * 4,
        "nul-inside-json": _text(_doc()).replace(b'"corpus"', b'"cor\x00pus"'),
        "invalid-utf8": _text(_doc()).replace(b"corpus", b"corp\xff\xfeus"),
        "utf16-bom": json.dumps(_doc()).encode("utf-16"),
        "utf16-be-no-bom": json.dumps(_doc()).encode("utf-16-be"),
        "utf32": json.dumps(_doc()).encode("utf-32"),
        "top-list": b"[]",
        "top-string": b'"nodeloom.pipeline"',
        "top-number": b"42",
        "top-null": b"null",
        "top-true": b"true",
        "missing-format": _text(_doc(format=...)),
        "missing-version": _text(_doc(version=...)),
        "missing-name": _text(_doc(name=...)),
        "missing-nodes": _text(_doc(nodes=..., edges=...)),
        "wrong-format": _text(_doc(format="nodeloom.pipelines")),
        "future-version": _text(_doc(version=2)),
        "far-future-version": _text(_doc(version=10**40)),
        "zero-version": _text(_doc(version=0)),
        "negative-version": _text(_doc(version=-1)),
        "float-version": _text(_doc(version=1.0)),
        "bool-version": _text(_doc(version=True)),
        "string-version": _text(_doc(version="1")),
        "nan": _text(_doc()).replace(b'"value": 1', b'"value": NaN'),
        "infinity": _text(_doc()).replace(b'"value": 1', b'"value": -Infinity'),
        "duplicate-keys": _text(_doc()).replace(b'"name": "corpus"', b'"name": "corpus", "name": "again"'),
        "duplicate-node-keys": _text(_doc()).replace(b'"id": "a"', b'"id": "a", "id": "c"'),
        "huge-integer": _text(_doc()).replace(b'"value": 1', b'"value": ' + b"7" * 5000),
        "deep-lists": b"[" * 100_000,
        "deep-objects": b'{"a":' * 100_000,
        "deep-in-params": _text(_doc()).replace(b'"value": 1', b'"value": ' + b"[" * 50_000 + b"]" * 50_000),
        "edge-no-dot": _text(_edge_with("from", "aresult")),
        "edge-bad-port": _text(_edge_with("to", "b.val-ue")),
        "edge-empty-port": _text(_edge_with("to", "b.")),
        "edge-three-parts": _text(_edge_with("to", "b.value.x")),
        "edge-unknown-out-port": _text(_edge_with("from", "a.nothing")),
        "edge-unknown-in-port": _text(_edge_with("to", "b.nothing")),
        "edge-missing-node": _text(_edge_with("to", "ghost.value")),
        "edge-self-loop": _text(_edge_with("to", "a.value")),
        "two-edges-one-input": _text(_doc(edges=[*EDGES, {"from": "a.result", "to": "b.value"}])),
        "edge-and-param": _text(_doc(nodes=[NODES[0], {**NODES[1], "params": {"value": 2}}])),
        "unknown-type": _text(_node_with("type", "no.such")),
        "unknown-py-type": _text(_node_with("type", "py:fnd_no_module_zz:f")),
        "py-builtin-len": _text(_node_with("type", "py:builtins:len")),
        "py-partial-class": _text(_node_with("type", "py:functools:partial")),
        "duplicate-id": _text(_doc(nodes=[NODES[0], NODES[0], NODES[1]])),
        "malformed-id": _text(_node_with("id", "9lives")),
        "unresolved-param": _text(_node_with("params", {"value": {"$param": "missing"}})),
        "missing-required": _text(_doc(nodes=[{"id": "m", "type": "math.add"}], edges=[])),
        "cycle": _text(
            _doc(
                nodes=[{"id": "x", "type": "util.log"}, {"id": "y", "type": "util.log"}],
                edges=[{"from": "x.result", "to": "y.value"}, {"from": "y.result", "to": "x.value"}],
            )
        ),
        "unknown-top-key": _text(_doc(nodez=[])),
        "unknown-node-key": _text(_node_with("paramz", {})),
        "control-chars": _text(_node_with("type", "evil\ntype\r\x1b[31m")),
        "lone-surrogate-id": _text(_node_with("id", "\ud800")),
        "long-type": _text(_node_with("type", "x" * 1_000_000)),
        "many-junk-nodes": _text(_doc(nodes=[7] * 200_000, edges=[])),
        "junk-20mb": _text(_doc(junk="z" * 20_000_000)),
        "junk-list": b"[" + b"0," * 1_000_000 + b"0]",
        "sparse-70mb": _sparse,
        "directory": _directory,
        "missing-file": lambda folder: folder / "does-not-exist.json",
    }
    for field in ("name", "description", "parameters", "nodes", "edges", "ui"):
        ok = {"name": str, "description": str, "parameters": dict, "nodes": list, "edges": list, "ui": dict}[
            field
        ]
        for i, value in enumerate(WRONG_VALUES):
            if not isinstance(value, ok) or field == "nodes" and value == [1]:
                cases[f"top-{field}-{i}"] = _text(_doc(**{field: value}))
    accepts: dict[str, Callable[[Any], bool]] = {
        "id": lambda v: False,
        "type": lambda v: False,
        "label": lambda v: isinstance(v, str),
        "params": lambda v: v == {},
        "retries": lambda v: type(v) is int and v >= 0,
        "retry_delay_s": lambda v: type(v) in (int, float) and v >= 0,
        "timeout_s": lambda v: v is None or type(v) in (int, float) and v > 0,
        "cache": lambda v: isinstance(v, bool),
        "disabled": lambda v: isinstance(v, bool),
    }
    for field, fine in accepts.items():
        for i, value in enumerate(WRONG_VALUES):
            if not fine(value):
                cases[f"node-{field}-{i}"] = _text(_node_with(field, value))
    for field in ("from", "to"):
        for i, value in enumerate(WRONG_VALUES):
            cases[f"edge-{field}-{i}"] = _text(_edge_with(field, value))
    for i, value in enumerate(WRONG_VALUES):
        if not isinstance(value, dict):
            cases[f"node-item-{i}"] = _text(_doc(nodes=[value, *NODES]))
        cases[f"edge-item-{i}"] = _text(_doc(edges=[value]))
    if os.name == "posix" and os.geteuid() != 0:
        cases["unreadable"] = _unreadable
    return cases


def _sparse(folder: Path) -> Path:
    path = folder / "sparse.json"
    with open(path, "wb") as f:
        f.truncate(70 * 2**20)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "a-directory.json"
    path.mkdir()
    return path


def _unreadable(folder: Path) -> Path:
    path = folder / "unreadable.json"
    path.write_bytes(_text(_doc()))
    path.chmod(0)
    return path


def materialise(folder: Path) -> dict[str, Path]:
    files = {}
    for name, content in corpus().items():
        case = folder / name
        case.mkdir(parents=True)
        if callable(content):
            files[name] = content(case)
        else:
            (case / "pipeline.json").write_bytes(content)
            files[name] = case / "pipeline.json"
    return files


SUBPROCESS_CASES = {
    "empty", "whitespace", "binary-nul", "nul-inside-json", "invalid-utf8", "utf16-bom", "utf16-be-no-bom",
    "utf32", "top-null", "future-version", "bool-version", "nan", "duplicate-keys", "huge-integer", "deep-lists",
    "deep-objects", "deep-in-params", "control-chars", "lone-surrogate-id", "long-type", "many-junk-nodes",
    "junk-20mb", "sparse-70mb", "directory", "missing-file", "unreadable", "node-retries-5",
}  # fmt: skip


@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_corpus_in_process(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = materialise(tmp_path / "corpus")
    assert len(files) > 150
    failures = {}
    for name, path in files.items():
        code = main([command, str(path)])
        out, err = capsys.readouterr()
        why = check_output(command, path, subprocess.CompletedProcess([], code, out, err))
        if why:
            failures[name] = why
    assert failures == {}


@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_corpus_through_a_subprocess(command: str, tmp_path: Path) -> None:
    files = {
        name: path for name, path in materialise(tmp_path / "corpus").items() if name in SUBPROCESS_CASES
    }
    assert len(files) >= len(SUBPROCESS_CASES) - 1  # "unreadable" only exists when not root
    work = tmp_path / "work"
    work.mkdir()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(files, pool.map(lambda p: run_cli(command, p, work), files.values()), strict=True))
    failures = {name: check_output(command, files[name], done) for name, done in results.items()}
    assert {name: why for name, why in failures.items() if why} == {}


def test_corpus_messages_say_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Spot checks that the one line is the right line (the full rules are unit-tested elsewhere)."""
    files = materialise(tmp_path / "corpus")
    expected = {
        "empty": "file is empty",
        "utf16-bom": "the file is UTF-16; a pipeline file must be UTF-8",
        "future-version": "format version 2 is newer than this Nodeloom reads (up to 1); upgrade Nodeloom",
        "bool-version": "'version' must be an integer, got a boolean",
        "deep-lists": "invalid JSON at line 1 column 101: nested more than 100 levels deep",
        "huge-integer": "invalid JSON: a number has too many digits",
        "sparse-70mb": "file is too large (73 MB; the limit is 64 MiB)",
        "missing-file": "no such file",
        "directory": "is a directory, not a pipeline file",
        "control-chars": "node 'a': unknown node type 'evil\\ntype\\r\\x1b[31m' (`nodeloom nodes` lists them)",
    }
    for name, message in expected.items():
        assert main(["validate", str(files[name])]) == 2
        assert capsys.readouterr().err == f"{files[name]}: {message}\n", name
