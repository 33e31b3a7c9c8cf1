"""The editor's fork server preloads the node library's heavy imports, so a run's worker processes fork
with pandas and scikit-learn loaded instead of importing them again on every run."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

CHECK = """
import multiprocessing, sys
from nodeloom.desktop.run.warm_up import warm_process_workers

def loaded(names):
    return [n for n in names if n in sys.modules]

if __name__ == "__main__":
    warm_process_workers().join(120)
    with multiprocessing.get_context("forkserver").Pool(1) as pool:
        print(pool.apply(loaded, (["pandas", "sklearn.model_selection"],)))
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_workers_fork_with_the_library_loaded(tmp_path) -> None:
    script = tmp_path / "check_warm.py"
    script.write_text(CHECK)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['pandas', 'sklearn.model_selection']"
