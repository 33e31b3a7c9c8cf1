"""The layering rules, checked on the real import graph by import-linter (contracts in pyproject.toml).

core never imports the desktop or Qt; the canvas never imports the run views or panels; the run views
never import canvas internals. A grep would miss `importlib` tricks and re-exports; the graph does not.
"""

from __future__ import annotations

from pathlib import Path

from dev_tools import ROOT, run_dev_tool


def test_import_contracts_hold() -> None:
    done = run_dev_tool("lint-imports", "--no-cache", str(ROOT / "pyproject.toml"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    """The check can fail: a contract the tree breaks (canvas importing the document is allowed, so forbid it)."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["nodeloom.desktop"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "canvas without the document"\n'
        'type = "forbidden"\n'
        'source_modules = ["nodeloom.desktop.canvas"]\n'
        'forbidden_modules = ["nodeloom.desktop.document"]\n'
    )
    done = run_dev_tool("lint-imports", "--no-cache", str(config))
    assert done.returncode != 0 and "BROKEN" in done.stdout
