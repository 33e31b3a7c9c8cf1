"""`nodeloom.core` never imports Qt: every module under it (found by walking the package, so modules
added later are covered too) is imported in a fresh interpreter, which must end with no Qt module loaded."""

from __future__ import annotations

import json
import subprocess
import sys

QT_PREFIXES = ("PySide6", "shiboken6", "pyqtgraph", "qtawesome", "PyQt5", "PyQt6", "qtpy")

SCRIPT = """
import importlib, json, pkgutil, sys
import nodeloom.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "nodeloom.core.")]
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps({"modules": names, "failed": failed, "loaded": sorted(sys.modules)}))
"""


def test_importing_all_of_core_pulls_in_no_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout)
    modules = report["modules"]
    # the walk really covers the package, subpackages included
    for expected in (
        "nodeloom.core.model",
        "nodeloom.core.cli.main",
        "nodeloom.core.builtins.ml",
        "nodeloom.core.engine",
    ):
        assert expected in modules
    assert report["failed"] == {}
    qt = [m for m in report["loaded"] if m.split(".")[0] in QT_PREFIXES]
    assert qt == []
