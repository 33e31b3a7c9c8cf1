"""Cold start of the CLI with the AI library registered: `nodeloom validate` on an example and a small
`nodeloom run` (three arithmetic nodes, cache off), each a fresh process, against `python -c pass` and
`python -c "import pandas, sklearn"` measured in the same run. Registering the library imports none of
pandas, scikit-learn or matplotlib, so validate should cost a small fraction of importing them.

Run: `.venv/bin/python benchmarks/bench_cli_cold.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "examples" / "digits_svm_grid_search.json"


def best_of(command: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NODELOOM_HOME": folder}
        small = Path(folder) / "small.json"
        small.write_text(
            json.dumps(
                {
                    "format": "nodeloom.pipeline",
                    "version": 1,
                    "name": "small",
                    "nodes": [
                        {"id": "a", "type": "math.add", "params": {"a": 1, "b": 2}},
                        {"id": "b", "type": "math.multiply", "params": {"b": 3}},
                        {"id": "c", "type": "util.log"},
                    ],
                    "edges": [{"from": "a.result", "to": "b.a"}, {"from": "b.result", "to": "c.value"}],
                }
            )
        )
        cli = [python, "-m", "nodeloom.core.cli.main"]
        rows = [
            ("python -c pass", [python, "-c", "pass"]),
            ("python -c 'import pandas, sklearn'", [python, "-c", "import pandas, sklearn"]),
            ("nodeloom validate digits example", [*cli, "validate", str(EXAMPLE)]),
            ("nodeloom run (3 nodes, --no-cache)", [*cli, "run", str(small), "--no-cache"]),
        ]
        results = {label: best_of(command, args.repeat, env) for label, command in rows}
    base = results["python -c pass"][0]
    heavy = results["python -c 'import pandas, sklearn'"][0]
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}; best and median of {args.repeat}")
    for label, (best, median) in results.items():
        print(
            f"  {label:<38} best {best * 1000:7.0f} ms  median {median * 1000:7.0f} ms  ({best / base:5.1f}x python)"
        )
    validate = results["nodeloom validate digits example"][0]
    print(
        f"validate costs {validate - base:.2f} s over bare Python; importing pandas+sklearn alone costs {heavy - base:.2f} s"
    )


if __name__ == "__main__":
    main()
