"""Opening a stranger's pipeline runs none of its code: `validate` through the real CLI in a subprocess.

Every hostile module here writes a marker file and then calls `os._exit(0)` at import, so an import
would both leave evidence and turn an invalid file's exit 2 into a silent 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import run_nodeloom


def hostile(marker: Path, body: str = "") -> str:
    return f"import os\nopen({str(marker)!r}, 'a').write('ran ')\nos._exit(0)\n{body}"


STEPS = """
from typing import Literal, Optional
from nodeloom.core import node


def f(x: int, mode: Literal["a", "b"] = "a", note: Optional[str] = None) -> int:
    return x


@node(outputs=["lo", "hi"])
def split(values: list, at: float = 0.5):
    return values, values


def wrap(fn):
    return fn


@wrap
def wrapped(x):
    return x
"""


def pipeline(folder: Path, nodes: list[dict], edges: list[dict] | None = None, **top: object) -> Path:
    path = folder / "p.json"
    document = {"format": "nodeloom.pipeline", "version": 1, "name": "p", **top, "nodes": nodes}
    document["edges"] = edges or []
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def stranger(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A downloaded folder with a hostile `steps.py`, a marker path, and a separate cwd."""
    folder, cwd = tmp_path / "download", tmp_path / "cwd"
    folder.mkdir()
    cwd.mkdir()
    marker = tmp_path / "MARKER"
    (folder / "steps.py").write_text(hostile(marker, STEPS))
    return folder, marker, cwd


@pytest.mark.parametrize("module", [True, False], ids=["python-m", "console-script"])
def test_validate_reads_an_untrusted_module_without_running_it(
    stranger: tuple[Path, Path, Path], module: bool
) -> None:
    folder, marker, cwd = stranger
    path = pipeline(
        folder,
        [
            {"id": "a", "type": "py:steps:f", "params": {"x": 1, "y": 2, "mode": "c"}},
            {"id": "b", "type": "py:steps:split", "params": {"values": [1]}},
            {"id": "c", "type": "py:steps:f"},
        ],
        [{"from": "b.nope", "to": "c.x"}],
    )
    done = run_nodeloom("validate", str(path), cwd=cwd, module=module)
    assert not marker.exists()
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    real = folder.resolve()
    assert lines == [
        f"{path}: node 'b': edge b.nope -> c.x: 'b' (py:steps:split) has no output 'nope' (has: lo, hi)",
        f"{path}: node 'a': param 'y': no such input (has: x, mode, note)",
        f"{path}: node 'a': param 'mode': 'c' is not one of 'a', 'b'",
        *(
            f"{path}: node '{n}': partly checked: py:steps:{t} is in the untrusted folder {real}; "
            "its ports were read from the source without running it (use --trust)"
            for n, t in (("a", "f"), ("b", "split"), ("c", "f"))
        ),
    ]
    assert done.stdout == f"{path}: 3 problems, 3 not fully checked\n"


def test_a_node_that_cannot_be_read_is_named_with_the_reason_and_exit_0(
    stranger: tuple[Path, Path, Path],
) -> None:
    folder, marker, cwd = stranger
    path = pipeline(folder, [{"id": "w", "type": "py:steps:wrapped"}, {"id": "v", "type": "data.value"}])
    done = run_nodeloom("validate", str(path), cwd=cwd)
    assert not marker.exists()
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"{path}: node 'w': not checked: py:steps:wrapped is in the untrusted folder {folder.resolve()} "
        "(use --trust); its decorator @wrap can change it only when the module runs\n"
    )
    assert done.stdout == f"{path}: ok (2 nodes, 0 edges), 1 not fully checked\n"


def test_trust_imports_the_folder_and_run_implies_it(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    marker = tmp_path / "IMPORTED"
    (folder / "mysteps.py").write_text(
        f"open({str(marker)!r}, 'a').write('imported ')\n\ndef twice(x: int) -> int:\n    return 2 * x\n"
    )
    path = pipeline(folder, [{"id": "t", "type": "py:mysteps:twice", "params": {"x": 4}}])
    untrusted = run_nodeloom("validate", str(path), cwd=tmp_path)
    assert (untrusted.returncode, marker.exists()) == (0, False)
    assert "partly checked" in untrusted.stderr
    trusted = run_nodeloom("validate", "--trust", str(path), cwd=tmp_path)
    assert (trusted.returncode, trusted.stderr) == (0, "")
    assert trusted.stdout == f"{path}: ok (1 nodes, 0 edges)\n"
    assert marker.read_text() == "imported "
    results = tmp_path / "results.json"
    ran = run_nodeloom("run", str(path), "--results", str(results), "--no-cache", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(results.read_text())["nodes"]["t"]["outputs"] == {"result": 8}


def test_a_package_init_in_the_folder_does_not_run(tmp_path: Path) -> None:
    folder = tmp_path / "download"
    (folder / "pkg").mkdir(parents=True)
    marker = tmp_path / "MARKER"
    (folder / "pkg" / "__init__.py").write_text(hostile(marker))
    (folder / "pkg" / "mod.py").write_text("def f(a: int) -> int:\n    return a\n")
    path = pipeline(folder, [{"id": "a", "type": "py:pkg.mod:f", "params": {"b": 1}}])
    done = run_nodeloom("validate", str(path), cwd=tmp_path)
    assert not marker.exists()
    assert done.returncode == 2
    assert f"{path}: node 'a': param 'b': no such input (has: a)" in done.stderr.splitlines()
    assert "partly checked: py:pkg.mod:f is in the untrusted folder" in done.stderr


def test_the_current_directory_is_not_trusted_either(tmp_path: Path) -> None:
    """`python -m` puts the cwd on sys.path: a module there is untrusted, even one shadowing an installed
    module (`colorsys` here): validation reads what a run would import, without running it."""
    cwd, elsewhere = tmp_path / "cwd", tmp_path / "pipelines"
    cwd.mkdir()
    elsewhere.mkdir()
    marker = tmp_path / "MARKER"
    (cwd / "evil.py").write_text(hostile(marker, "def f(a: int) -> int:\n    return a\n"))
    (cwd / "colorsys.py").write_text(hostile(marker, "def rgb_to_hsv(x):\n    return x\n"))
    for name in ("sitecustomize.py", "usercustomize.py"):
        (cwd / name).write_text(hostile(marker))
    (cwd / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'a').write('pth ')\n")
    path = pipeline(
        elsewhere,
        [
            {"id": "e", "type": "py:evil:f", "params": {"a": 1}},
            {"id": "c", "type": "py:colorsys:rgb_to_hsv", "params": {"x": 2}},
        ],
    )
    done = run_nodeloom("validate", str(path), cwd=cwd)
    assert not marker.exists()
    assert done.stderr.splitlines() == [
        f"{path}: node '{n}': partly checked: py:{t} is in the untrusted folder {cwd.resolve()}; "
        "its ports were read from the source without running it (use --trust)"
        for n, t in (("e", "evil:f"), ("c", "colorsys:rgb_to_hsv"))
    ]
    assert done.returncode == 0
    # started as the console script, the cwd is not on sys.path: the installed colorsys is imported
    done = run_nodeloom("validate", str(path), cwd=cwd, module=False)
    assert not marker.exists()
    assert done.stderr.splitlines() == [
        f"{path}: node 'e': node type 'py:evil:f': module 'evil' not found",
        f"{path}: node 'c': param 'x': no such input (has: r, g, b)",
        *(f"{path}: node 'c': required input '{p}' has no edge and no param" for p in "rgb"),
    ]


def test_an_installed_module_and_entry_point_types_stay_usable(tmp_path: Path) -> None:
    path = pipeline(
        tmp_path,
        [
            {"id": "d", "type": "py:textwrap:dedent", "params": {"text": " x"}},
            {"id": "v", "type": "data.value", "params": {"value": 1}},
        ],
    )
    done = run_nodeloom("validate", str(path), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_module_imported_from_the_folder_at_run_time_stays_unrun_in_validate(tmp_path: Path) -> None:
    """A source read never follows the module's own imports: a helper beside it never runs either."""
    folder = tmp_path / "download"
    folder.mkdir()
    marker = tmp_path / "MARKER"
    (folder / "helper.py").write_text(hostile(marker, "VALUE = 1\n"))
    (folder / "steps.py").write_text("import helper\n\ndef f(a: int = helper.VALUE) -> int:\n    return a\n")
    path = pipeline(folder, [{"id": "a", "type": "py:steps:f"}])
    done = run_nodeloom("validate", str(path), cwd=tmp_path)
    assert not marker.exists()
    assert done.returncode == 0  # a default computed at import: the port has a default, value unknown
    assert "partly checked" in done.stderr
