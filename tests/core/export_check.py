"""Run a pipeline with `nodeloom run` and its export, and compare what each says its sink outputs are.

`run_results` runs the real CLI in a subprocess (private NODELOOM_HOME, a given cwd) and returns the
`--results` document. `exported_outputs` imports the exported script in a subprocess and passes each
output of `run_pipeline` through the same `json_or_summary` the results document uses, so the two
compare exactly (numbers bit for bit, non-JSON values by type and shape). `printed_outputs` parses the
`NAME = VALUE` lines the exported files print at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli_runner import run_nodeloom

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "resources" / "examples").glob("*.json"))

_IMPORT_AND_RUN = """
import json, runpy, sys
from nodeloom.core.engine.summaries import json_or_summary
ns = runpy.run_path(sys.argv[1], run_name="exported")
outputs = ns["run_pipeline"](ns["parse_parameters"](sys.argv[2:]))
print(json.dumps({name: json_or_summary(value) for name, value in outputs.items()}))
"""


def run_results(pipeline: Path, cwd: Path, home: Path, *sets: str) -> dict[str, Any]:
    results = cwd / "results.json"
    args = ["run", str(pipeline), "--no-cache", "--results", str(results)]
    for item in sets:
        args += ["--set", item]
    proc = run_nodeloom(*args, cwd=cwd, home=home, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(results.read_text())


def export(pipeline: Path, target: str, out: Path, cwd: Path, home: Path) -> Path:
    proc = run_nodeloom(
        "export", str(pipeline), "--to", target, "-o", str(out), cwd=cwd, home=home, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return out


def exported_outputs(script: Path, cwd: Path, *argv: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_AND_RUN, str(script), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def printed_outputs(stdout: str) -> dict[str, str]:
    """`name = value` lines (name is `node.port`, which holds no spaces) as printed by exported files."""
    found = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition(" = ")
        if sep and name.count(".") == 1 and " " not in name and not name.startswith("["):
            found[name] = value
    return found


def same_outputs(exported: dict[str, Any], results: dict[str, Any]) -> None:
    """Each exported output equals the run's, as `--results` shows it (a figure the run saved as a PNG
    beside the results, `{"figure": FILE}`, matches an exported Figure by its type)."""
    expected = expected_sinks(results, exported)
    for name, value in exported.items():
        want = expected[name]
        if isinstance(want, dict) and set(want) == {"figure"}:
            assert isinstance(value, str) and value.startswith("Figure"), (name, value)
        else:
            assert value == want, name


def expected_sinks(results: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """What the run says for each of the export's outputs (all of which must be from nodes that ran)."""
    expected = {}
    for name in outputs:
        node, port = name.split(".")
        result = results["nodes"][node]
        assert result["status"] == "succeeded", (name, result)
        expected[name] = result["outputs"][port]
    return expected
