"""Fuzzing `validate` (and `run` once it exists) with seeded random mutations of valid files.

Byte mutations break the encoding and the JSON; structure mutations keep the JSON but delete keys,
swap values for values of other types, rename ids, duplicate and reorder items. Whatever comes out,
the command exits 0 or 2, prints one line per problem and never a traceback.
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fnd_helpers import check_output, run_cli
from nodeloom.core.cli.main import main

SEED = 20240611
EXAMPLES = sorted(
    p
    for p in resources.files("nodeloom.core.resources").joinpath("examples").iterdir()
    if p.name.endswith(".json")
)
HANDMADE = {
    "format": "nodeloom.pipeline",
    "version": 1,
    "name": "fuzz-base",
    "description": "every feature once",
    "parameters": {"n": 3, "mode": "slow", "parts": ["a", "b"]},
    "nodes": [
        {"id": "v", "type": "data.value", "params": {"value": {"$param": "n"}}, "label": "N"},
        {"id": "add", "type": "py:fnd_nodes:add", "params": {"b": 2}, "retries": 1, "retry_delay_s": 0.5},
        {
            "id": "pick",
            "type": "py:fnd_nodes:choose",
            "params": {"mode": {"$param": "mode"}},
            "timeout_s": 10,
        },
        {"id": "join", "type": "text.join", "params": {"sep": "-"}, "cache": False},
        {"id": "log", "type": "util.log", "disabled": True},
    ],
    "edges": [
        {"from": "v.result", "to": "add.a"},
        {"from": "pick.result", "to": "join.parts"},
        {"from": "pick.result", "to": "log.value"},
    ],
    "ui": {"nodes": {"v": {"x": 0, "y": 0}, "add": {"x": 200, "y": 0}}},
}
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, 10**30, 1e308, "", "x", "a.result", "v.result", "py:fnd_nodes:add", "math.add",
    [], [1, "a"], {}, {"$param": "n"}, {"$param": "nope"}, {"$param": 1}, {"x": 1, "y": 2}, "\ud800", "é\n\t",
]  # fmt: skip


def bases() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in EXAMPLES] + [
        ("handmade", json.dumps(HANDMADE, indent=2).encode())
    ]


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not data:
            data = bytearray(b"{")
        at = rng.randrange(len(data))
        kind = rng.randrange(6)
        if kind == 0:
            data[at] = rng.randrange(256)
        elif kind == 1:
            del data[at : at + rng.randint(1, 40)]
        elif kind == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3:
            data[at:at] = rng.choice(
                [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\x00", b"\xff", b"NaN"]
            )
        elif kind == 4:
            del data[at:]
        else:
            end = min(len(data), at + rng.randint(1, 200))
            data[at:at] = data[at:end]
    return bytes(data)


def _containers(value: Any, found: list[Any]) -> None:
    if isinstance(value, dict | list):
        found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, found)


def mutate_structure(rng: random.Random, doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        found: list[Any] = []
        _containers(doc, found)
        target = rng.choice(found)
        if not target:
            target_kind = "add"
        else:
            target_kind = rng.choice(["delete", "replace", "replace", "duplicate", "rename", "swap", "add"])
        if isinstance(target, dict):
            keys = list(target)
            if target_kind == "delete" and keys:
                del target[rng.choice(keys)]
            elif target_kind in ("replace", "duplicate", "swap") and keys:
                target[rng.choice(keys)] = copy.deepcopy(rng.choice(ODD_VALUES + [target[rng.choice(keys)]]))
            elif target_kind == "rename" and keys:
                key = rng.choice(keys)
                target[rng.choice(["id", "type", "params", "from", "to", key + "_", key.upper(), ""])] = (
                    target.pop(key)
                )
            else:
                target[
                    rng.choice(["id", "type", "label", "retries", "cache", "extra", "nodes", "$param"])
                ] = copy.deepcopy(rng.choice(ODD_VALUES))
        else:
            if target_kind == "delete" and target:
                del target[rng.randrange(len(target))]
            elif target_kind == "replace" and target:
                target[rng.randrange(len(target))] = copy.deepcopy(rng.choice(ODD_VALUES))
            elif target_kind == "duplicate" and target:
                target.append(copy.deepcopy(rng.choice(target)))
            elif target_kind == "swap" and len(target) > 1:
                i, j = rng.sample(range(len(target)), 2)
                target[i], target[j] = target[j], target[i]
            else:
                target.insert(rng.randint(0, len(target)), copy.deepcopy(rng.choice(ODD_VALUES)))
    return doc


def mutants(count: int, seed: int = SEED) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    base_list = bases()
    for i in range(count):
        name, data = rng.choice(base_list)
        if rng.random() < 0.4:
            out.append((f"{i}-bytes-{name}", mutate_bytes(rng, data)))
        else:
            text = json.dumps(
                mutate_structure(rng, json.loads(data)),
                indent=rng.choice([None, 2]),
                ensure_ascii=rng.random() < 0.5,
            )
            out.append((f"{i}-json-{name}", text.encode("utf-8", "surrogatepass")))
    return out


def _check(path: Path, code: int, out: str, err: str) -> str | None:
    if code not in (0, 2):
        return f"exit {code}: {err[-300:]!r}"
    if "Traceback" in err or "Traceback" in out:
        return f"traceback: {err[-500:]!r}"
    if code == 0:
        return None if not err else f"exit 0 with stderr {err[:300]!r}"
    return check_output("validate", path, subprocess.CompletedProcess([], code, out, err))


def test_mutants_really_vary() -> None:
    """The fuzzer is not vacuous: it produces both valid and invalid files, of both kinds."""
    kinds = {name.split("-")[1] for name, _ in mutants(300)}
    assert kinds == {"bytes", "json"}
    assert len({data for _, data in mutants(300)}) > 250


def test_validate_survives_mutated_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    codes: dict[int, int] = {}
    failures = {}
    for name, data in mutants(400):
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        code = main(["validate", str(path)])
        out, err = capsys.readouterr()
        codes[code] = codes.get(code, 0) + 1
        why = _check(path, code, out, err)
        if why:
            failures[name] = why
    assert failures == {}
    assert codes.get(2, 0) > 200 and codes.get(0, 0) > 0  # both outcomes really happen


@pytest.mark.parametrize("command", ["validate", "run"])
def test_mutated_files_through_a_subprocess(command: str, tmp_path: Path) -> None:
    failures = {}
    for name, data in mutants(8, seed=SEED + 1):
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        done = run_cli(command, path, tmp_path)
        allowed = (0, 1, 2) if command == "run" else (0, 2)
        if done.returncode not in allowed or "Traceback" in done.stderr:
            failures[name] = f"exit {done.returncode}: {done.stderr[-300:]!r}"
    assert failures == {}
