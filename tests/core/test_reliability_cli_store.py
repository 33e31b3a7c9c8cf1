"""Issue 8, storage side, through the real CLI in subprocesses with a private NODELOOM_HOME: cache keys that
cover what a function sees, authenticated cache entries, private files, escaped terminal output, SIGTERM
and double Ctrl-C, a damaged run history, a bounded cache, a full disk, and an old run store."""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from cli_runner import FIXTURES, nodeloom_command, run_nodeloom, start_nodeloom
from engine_helpers import cli, cli_env, cli_popen, wait_for_line, write
from nodeloom.core.engine import RunStore

N = "py:engine_nodes:"


def outputs(results: Path, node: str) -> object:
    return json.loads(results.read_text())["nodes"][node]["outputs"]["result"]


def project(folder: Path, module: str, source: str, nodes: list[dict], edges=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(textwrap.dedent(source))
    return write(folder / "p.json", *settled(nodes, list(edges)))


def settled(nodes: list[dict], edges: list[tuple[str, str]] = ()) -> tuple[list[dict], list[tuple[str, str]]]:
    """`nodes` plus an uncached `tail` after all of them (see `store_nodes.tail`)."""
    tail = {"id": "tail", "type": "py:store_nodes:tail", "cache": False}
    return [*nodes, tail], [*edges, *((f"{n['id']}.result", "tail.values") for n in nodes)]


def statuses(results: Path) -> dict[str, str]:
    return {k: v["status"] for k, v in json.loads(results.read_text())["nodes"].items() if k != "tail"}


def edit(path: Path, old: str, new: str) -> None:
    """A person's edit, seconds later (a same-second edit of the same size could reuse a stale .pyc)."""
    path.write_text(path.read_text().replace(old, new))
    later = path.stat().st_mtime + 2
    os.utime(path, (later, later))


# -- 8.3 cache keys ---------------------------------------------------------------------------------------
def test_same_function_in_two_projects_does_not_share_a_cached_result(tmp_path: Path) -> None:
    source = "K = {k}\n\ndef f(x: int = 10) -> int:\n    return x + K\n"
    a = project(tmp_path / "a", "steps", source.format(k=10), [{"id": "f", "type": "py:steps:f"}])
    b = project(tmp_path / "b", "steps", source.format(k=20), [{"id": "f", "type": "py:steps:f"}])
    out = tmp_path / "r.json"
    for pipeline, expected, status in [(a, 20, "succeeded"), (b, 30, "succeeded"), (a, 20, "cached")]:
        proc = cli("run", str(pipeline), "--results", str(out))
        assert proc.returncode == 0, proc.stderr
        assert (outputs(out, "f"), statuses(out)["f"]) == (expected, status)
    edit(tmp_path / "a" / "steps.py", "K = 10", "K = 11")  # a module constant, not the function's text
    assert cli("run", str(a), "--results", str(out)).returncode == 0
    assert (outputs(out, "f"), statuses(out)["f"]) == (21, "succeeded")
    with RunStore() as store:
        reason = store.node_runs(json.loads(out.read_text())["run_id"])[0].reason
    assert reason.startswith("module of py:steps:f changed")


def test_a_helper_module_and_a_package_module_are_part_of_the_key(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    (folder / "pkgnodes").mkdir(parents=True)
    (folder / "pkgnodes" / "__init__.py").write_text("")
    (folder / "pkgnodes" / "consts.py").write_text("SCALE = 2\n")
    (folder / "pkgnodes" / "steps.py").write_text(
        "from nodeloom.core.decorator import node\nfrom .consts import SCALE\n\n\n"
        "@node\ndef scaled(x: int = 5) -> int:\n    return x * SCALE\n"
    )
    (folder / "helper.py").write_text("OFFSET = 1\n")
    (folder / "lazy_helper.py").write_text("FACTOR = 10\n")
    (folder / "top.py").write_text(
        "import helper\n\n\ndef shifted(x: int = 5) -> int:\n    return x + helper.OFFSET\n\n\n"
        "def later(x: int = 5) -> int:\n    import lazy_helper\n\n    return x * lazy_helper.FACTOR\n"
    )
    nodes = [
        {"id": "s", "type": "py:pkgnodes.steps:scaled"},
        {"id": "t", "type": "py:top:shifted"},
        {"id": "l", "type": "py:top:later"},
    ]
    path = write(folder / "p.json", *settled(nodes))
    out = tmp_path / "r.json"
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    assert statuses(out) == {"s": "cached", "t": "cached", "l": "cached"}
    edit(folder / "pkgnodes" / "consts.py", "SCALE = 2", "SCALE = 3")
    edit(folder / "helper.py", "OFFSET = 1", "OFFSET = 4")
    edit(folder / "lazy_helper.py", "FACTOR = 10", "FACTOR = 20")  # imported only when the node runs
    proc = cli("run", str(path), "--results", str(out))
    assert proc.returncode == 0, proc.stderr
    assert statuses(out) == {"s": "succeeded", "t": "succeeded", "l": "succeeded"}
    assert (outputs(out, "s"), outputs(out, "t"), outputs(out, "l")) == (15, 9, 100)


# -- 8.7 authenticated entries ----------------------------------------------------------------------------
def _entries(home: Path) -> list[Path]:
    return sorted((home / "cache" / "objects").rglob("*.pkl"))


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204 - what an attacker's pickle does on load
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("damage", ["forged", "flipped", "truncated", "foreign"])
def test_a_damaged_cache_entry_is_a_miss_with_one_warning(
    tmp_path: Path, nodeloom_home: Path, damage: str
) -> None:
    path = write(tmp_path / "p.json", *settled([{"id": "n", "type": N + "number", "params": {"value": 7}}]))
    out = tmp_path / "r.json"
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    (entry,) = _entries(nodeloom_home)
    blob = entry.read_bytes()
    marker = tmp_path / "pwned"
    if damage == "forged":  # a stranger's pickle, without this home's secret
        entry.write_bytes(blob[:40] + pickle.dumps({"outputs": {"result": _Evil(str(marker))}}))
    elif damage == "flipped":
        entry.write_bytes(blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:])
    elif damage == "truncated":
        entry.write_bytes(blob[: len(blob) // 2])
    else:  # a valid entry made by another home (another secret)
        other = tmp_path / "other-home"
        made = run_nodeloom("run", str(path), home=other)
        assert made.returncode == 0, made.stderr
        (foreign,) = _entries(other)
        entry.write_bytes(foreign.read_bytes())
    proc = cli("run", str(path), "--results", str(out))
    assert proc.returncode == 0, proc.stderr
    assert statuses(out) == {"n": "succeeded"} and outputs(out, "n") == 7
    warnings = [line for line in proc.stderr.splitlines() if "failed verification" in line]
    assert len(warnings) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not marker.exists()
    again = cli("run", str(path), "--results", str(out))  # re-stored, verified: cached, no warning
    assert statuses(out) == {"n": "cached"} and "failed verification" not in again.stderr


# -- 8.8 permissions -----------------------------------------------------------------------------------
def test_home_is_0700_and_every_file_in_it_0600(tmp_path: Path, nodeloom_home: Path) -> None:
    os.chmod(nodeloom_home, 0o755)  # a home made by an older version: tightened
    (nodeloom_home / "runs.sqlite").touch(mode=0o644)
    os.chmod(nodeloom_home / "runs.sqlite", 0o644)
    old_entry = nodeloom_home / "cache" / "objects" / "ab" / "abcd.pkl"
    old_entry.parent.mkdir(parents=True)
    old_entry.write_bytes(b"an entry from an older version")
    (nodeloom_home / "autosave").mkdir(mode=0o755)
    (nodeloom_home / "autosave" / "p-123.json").write_text("{}")
    for made in (old_entry, nodeloom_home / "autosave" / "p-123.json"):
        os.chmod(made, 0o644)
    path = write(
        tmp_path / "p.json",
        *settled([{"id": "talk", "type": N + "chatty"}, {"id": "n", "type": N + "number"}]),
    )
    from nodeloom.core.trusted_folders import remember

    remember(tmp_path)  # the editor's "trust this folder" list lives in the home too
    with RunStore():  # an open reader keeps the -wal and -shm files in place while the CLI writes
        proc = cli("run", str(path))
        assert proc.returncode == 0, proc.stderr
        files = [p for p in nodeloom_home.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {
            "runs.sqlite",
            "runs.sqlite-wal",
            "runs.sqlite-shm",
            "secret.key",
            "abcd.pkl",
            "p-123.json",
        }
        assert any(p.suffix == ".pkl" and p.name != "abcd.pkl" for p in files)
        loose = {str(p): oct(p.stat().st_mode & 0o777) for p in files if p.stat().st_mode & 0o077}
        assert loose == {}
    assert stat.S_IMODE(nodeloom_home.stat().st_mode) == 0o700
    folders = [p for p in nodeloom_home.rglob("*") if p.is_dir()]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)


# -- 8.9 terminal injection ----------------------------------------------------------------------------
HOSTILE = "\x1b]2;PWNED\x07\x1b[2J\u202eevil\x9b31m"
RAW = ("\x1b]2;", "\x07", "\x1b[2J", "\u202e", "\x9b")


def hostile_pipeline(tmp_path: Path) -> Path:
    (tmp_path / "hostile_steps.py").write_text(
        textwrap.dedent(f"""
        def shout(x: int = 1) -> int:
            print({HOSTILE!r})
            return x

        def fail(x: int = 1) -> int:
            raise ValueError({HOSTILE!r})
    """)
    )
    return write(
        tmp_path / "p.json",
        [{"id": "shout", "type": "py:hostile_steps:shout"}, {"id": "fail", "type": "py:hostile_steps:fail"}],
        name="name" + HOSTILE,
    )


def assert_escaped(text: str) -> None:
    for raw in RAW:
        assert raw not in text, repr(raw)
    assert "\\x1b]2;PWNED\\x07" in text and "\\u202e" in text


def test_control_characters_are_escaped_in_run_and_runs(tmp_path: Path) -> None:
    path = hostile_pipeline(tmp_path)
    proc = cli("run", str(path))
    assert proc.returncode == 1
    assert_escaped(proc.stdout)
    listing = cli("runs")
    assert_escaped(listing.stdout)
    run_id = listing.stdout.splitlines()[2].split()[0]
    shown = cli("runs", run_id)
    assert shown.returncode == 0
    assert_escaped(shown.stdout)
    bad_type = write(tmp_path / "bad.json", [{"id": "a", "type": "py:nope:" + HOSTILE}])
    refused = cli("run", str(bad_type))
    assert refused.returncode == 2 and all(raw not in refused.stderr for raw in RAW)


def run_in_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; returns (exit code, everything written)."""
    import pty

    main, child = pty.openpty()
    proc = subprocess.Popen([*nodeloom_command(), *args], stdout=child, stderr=child, env=env)
    os.close(child)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def test_terminal_display_is_rich_and_still_escapes_controls(tmp_path: Path) -> None:
    path = hostile_pipeline(tmp_path)
    env = {**cli_env(), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "xterm"}
    code, text = run_in_terminal(["run", str(path)], env)
    assert code == 1
    assert "\\x1b]2;PWNED\\x07" in text and "\\u202e" in text
    assert "\x1b]2;PWNED" not in text and "\u202e" not in text and "\x9b" not in text
    assert "\x1b[31m" not in text and "\x1b[38;" not in text  # NO_COLOR: no colours
    assert "ValueError" in text and "STATUS" in text


# -- 8.10 / 8.12 signals -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("backend", "sig", "code"),
    [("threads", signal.SIGTERM, 143), ("processes", signal.SIGTERM, 143), ("threads", signal.SIGHUP, 129)],
)
def test_sigterm_cancels_records_writes_results_and_exits_143(
    tmp_path: Path, backend: str, sig: int, code: int
) -> None:
    nodes = [
        {"id": "quick", "type": N + "number"},
        {"id": "coop", "type": N + "cooperative", "params": {"seconds": 30}},
        {"id": "later", "type": N + "double"},
    ]
    path = write(tmp_path / "p.json", nodes, [("quick.result", "coop.x"), ("coop.result", "later.x")])
    out = tmp_path / "r.json"
    proc = cli_popen("run", str(path), "--backend", backend, "--results", str(out))
    wait_for_line(proc, "started   coop")
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stdout + stderr
    assert "Traceback" not in stderr
    doc = json.loads(out.read_text())
    assert doc["status"] == "cancelled" and statuses(out) == {
        "quick": "succeeded",
        "coop": "cancelled",
        "later": "cancelled",
    }
    with RunStore() as store:
        run = store.get_run(doc["run_id"])
        assert run is not None and run.status == "cancelled"
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


def test_double_ctrl_c_ends_cancelled_with_no_node_left_running(tmp_path: Path) -> None:
    nodes = [
        {"id": "stubborn", "type": N + "hang", "params": {"seconds": 60}},  # ignores ctx.cancelled
        {"id": "after", "type": N + "double"},
    ]
    path = write(tmp_path / "p.json", nodes, [("stubborn.result", "after.x")])
    out = tmp_path / "r.json"
    proc = cli_popen("run", str(path), "--results", str(out))
    wait_for_line(proc, "started   stubborn")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert statuses(out) == {"stubborn": "cancelled", "after": "cancelled"}
    with RunStore() as store:
        run = store.list_runs(1)[0]
        assert run.status == "cancelled"
        assert {n.status for n in store.node_runs(run.run_id)} == {"cancelled"}


# -- 8.13 a damaged run history ------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_run_history_is_one_line_and_no_phantom_run(
    tmp_path: Path, nodeloom_home: Path, damage: str
) -> None:
    path = write(tmp_path / "p.json", [{"id": "n", "type": N + "number"}])
    db = nodeloom_home / "runs.sqlite"
    if damage == "garbage":
        db.write_bytes(b"this is not a database " * 200)
    else:
        assert cli("run", str(path), "--no-cache").returncode == 0
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.write_bytes(db.read_bytes()[:1024] + b"\x00" * 100)
    before = db.read_bytes()
    proc = cli("run", str(path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(db) in lines[0] and "move it aside" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert db.read_bytes() == before  # nothing recorded: no phantom run
    listing = cli("runs")
    assert listing.returncode == 2 and len(listing.stderr.strip().splitlines()) == 1
    assert str(db) in listing.stderr and "Traceback" not in listing.stderr
    assert cli("cache", "info").returncode == 0  # the cache does not depend on the history


# -- 8.14 a bounded cache ------------------------------------------------------------------------------
def big_nodes(tmp_path: Path, count: int, size: int, tag: str) -> Path:
    (tmp_path / "big_steps.py").write_text(
        "import os\n\ndef blob(n: int = 0, size: int = 1000, tag: str = '') -> bytes:\n    return os.urandom(size)\n"
    )
    nodes = [
        {"id": f"b{i}", "type": "py:big_steps:blob", "params": {"n": i, "size": size, "tag": tag}}
        for i in range(count)
    ]
    return write(tmp_path / f"{tag}.json", *settled(nodes))


def cache_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in _entries(home))


@pytest.mark.slow
def test_cache_limit_evicts_least_recently_used_but_never_the_current_run(
    tmp_path: Path, nodeloom_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODELOOM_CACHE_LIMIT", "250KB")
    first = big_nodes(tmp_path, 4, 50_000, "first")
    second = big_nodes(tmp_path, 4, 50_000, "second")
    out = tmp_path / "r.json"
    assert cli("run", str(first)).returncode == 0
    assert cache_bytes(nodeloom_home) > 200_000
    assert cli("run", str(second), "--results", str(out)).returncode == 0
    assert cache_bytes(nodeloom_home) <= 250_000
    assert cli("run", str(second), "--results", str(out)).returncode == 0
    assert set(statuses(out).values()) == {"cached"}  # the newest run's entries stayed
    # a run bigger than the limit keeps all its own entries until a later run prunes them
    monkeypatch.setenv("NODELOOM_CACHE_LIMIT", "100KB")
    assert cli("run", str(first), "--results", str(out)).returncode == 0
    assert set(statuses(out).values()) == {"succeeded"}
    assert cli("run", str(first), "--results", str(out)).returncode == 0
    assert set(statuses(out).values()) == {"cached"}
    info = cli("cache", "info")
    assert info.returncode == 0 and "100.0 KB (NODELOOM_CACHE_LIMIT=100KB)" in info.stdout
    pruned = cli("cache", "prune")
    assert pruned.returncode == 0 and "removed 3 entries" in pruned.stdout
    assert cli("cache", "clear").returncode == 0 and _entries(nodeloom_home) == []
    monkeypatch.setenv("NODELOOM_CACHE_LIMIT", "lots")
    bad = cli("run", str(first))
    assert bad.returncode == 2 and "NODELOOM_CACHE_LIMIT" in bad.stderr and "'lots'" in bad.stderr
    monkeypatch.delenv("NODELOOM_CACHE_LIMIT")
    (nodeloom_home / "config.toml").write_text('[cache]\nlimit = "1MB"\n')
    assert "1.0 MB" in cli("cache", "info").stdout


def test_two_concurrent_runs_with_a_small_limit_keep_their_entries(
    tmp_path: Path, nodeloom_home: Path
) -> None:
    paths = [big_nodes(tmp_path, 6, 30_000, f"c{k}") for k in range(2)]
    procs = [
        start_nodeloom(
            "run",
            str(p),
            "--results",
            str(tmp_path / f"{p.stem}.r"),
            env_extra={"NODELOOM_CACHE_LIMIT": "150KB"},
        )
        for p in paths
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "warning" not in stderr, stderr
    for p in paths:
        assert set(statuses(tmp_path / f"{p.stem}.r").values()) == {"succeeded"}
    assert (
        not (nodeloom_home / "cache" / "leases").exists()
        or list((nodeloom_home / "cache" / "leases").iterdir()) == []
    )
    check = cli("run", str(paths[1]), "--results", str(tmp_path / "again.r"))
    assert check.returncode == 0 and "failed verification" not in check.stderr


FULL_DISK = """
import errno
import nodeloom.core.engine.cache as cache

def full(path, data, **kwargs):
    if "objects" not in str(path):
        return real(path, data, **kwargs)
    raise OSError(errno.ENOSPC, "No space left on device", str(path))

if "objects" in __import__("os").environ.get("NODELOOM_FULL", ""):
    _store = cache.ResultCache.store_bytes
    def store_bytes(self, key, data):
        cache.atomic_write_bytes = full
        try:
            return _store(self, key, data)
        finally:
            cache.atomic_write_bytes = real
    real = cache.atomic_write_bytes
    cache.ResultCache.store_bytes = store_bytes
"""


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_full_disk_while_caching_skips_caching_with_one_warning(tmp_path: Path, backend: str) -> None:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(FULL_DISK)
    path = write(
        tmp_path / "p.json",
        [{"id": "a", "type": N + "number", "params": {"value": 3}}, {"id": "b", "type": N + "double"}],
        [("a.result", "b.x")],
    )
    out = tmp_path / "r.json"
    proc = run_nodeloom(
        "run",
        str(path),
        "--backend",
        backend,
        "--results",
        str(out),
        pythonpath=(inject, FIXTURES),
        env_extra={"NODELOOM_FULL": "objects"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert statuses(out) == {"a": "succeeded", "b": "succeeded"} and outputs(out, "b") == 6
    warnings = [line for line in proc.stdout.splitlines() if "result not cached" in line]
    # one line for 'a'; the last node's may be written after the run's events were delivered
    assert [w for w in warnings if w.strip().startswith("a |")] == [warnings[0]], proc.stdout
    assert "No space left on device" in warnings[0] and len(warnings) <= 2
    with RunStore() as store:
        run = store.get_run(json.loads(out.read_text())["run_id"])
        assert run is not None and run.status == "succeeded"
    again = cli("run", str(path), "--results", str(out))  # the disk has room again: nothing stale
    assert again.returncode == 0 and statuses(out) == {"a": "succeeded", "b": "succeeded"}


# -- the run store's schema version ---------------------------------------------------------------------
# The CREATE statements of the unversioned store (before PRAGMA user_version), copied from git history
# (core/engine/run_store.py at 44be56e).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, file TEXT, started REAL NOT NULL, finished REAL,
    duration_s REAL, status TEXT NOT NULL, backend TEXT, workers INTEGER, parameters TEXT,
    counts TEXT, pid INTEGER, pid_started REAL, host TEXT);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started);
CREATE TABLE IF NOT EXISTS node_runs (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    started REAL, finished REAL, duration_s REAL, error TEXT, worker TEXT, reason TEXT, seq INTEGER,
    PRIMARY KEY (run_id, node_id));
CREATE TABLE IF NOT EXISTS logs (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, time REAL NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_run ON logs (run_id, node_id);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, node_id TEXT NOT NULL, name TEXT NOT NULL, step REAL NOT NULL, value REAL NOT NULL,
    time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics (run_id, node_id);
"""


def test_a_store_written_by_the_previous_version_opens_and_migrates(
    tmp_path: Path, nodeloom_home: Path
) -> None:
    db = nodeloom_home / "runs.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO runs VALUES ('20250101-000000-abcdef', 'old-one', NULL, 1735689600, 1735689601, 1.0, "
            "'succeeded', 'threads', 2, '{}', '{\"succeeded\": 1}', 1, NULL, 'elsewhere')"
        )
        conn.execute(
            "INSERT INTO node_runs VALUES ('20250101-000000-abcdef', 'n', 'succeeded', 1, 1735689600, "
            "1735689601, 1.0, NULL, 'thread-1', NULL, 1)"
        )
        conn.execute(
            "INSERT INTO logs VALUES ('20250101-000000-abcdef', 'n', 1735689600.5, 'info', 'old log line')"
        )
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 0
    listing = cli("runs")
    assert listing.returncode == 0 and "old-one" in listing.stdout and "1 succeeded" in listing.stdout
    shown = cli("runs", "20250101-000000-abcdef")
    assert shown.returncode == 0 and "old log line" in shown.stdout
    path = write(tmp_path / "p.json", [{"id": "n", "type": N + "number"}], name="new-one")
    assert cli("run", str(path)).returncode == 0
    with RunStore() as store:
        assert [r.pipeline for r in store.list_runs()] == ["new-one", "old-one"]
        assert store.list_runs()[0].nodeloom_version
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] >= 2
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    newer = cli("runs")
    assert newer.returncode == 2 and "newer Nodeloom" in newer.stderr


def test_the_editor_started_from_a_terminal_quits_on_ctrl_c(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", [{"id": "n", "type": N + "number"}])
    proc = start_nodeloom("edit", str(path))
    time.sleep(5)  # the window is up (or nearly: a Ctrl-C during start-up ends in "interrupted", 130)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode in (0, 130) and "Traceback" not in stderr, stderr


def test_a_secret_others_could_read_is_replaced(tmp_path: Path, nodeloom_home: Path) -> None:
    path = write(tmp_path / "p.json", *settled([{"id": "n", "type": N + "number", "params": {"value": 2}}]))
    out = tmp_path / "r.json"
    assert cli("run", str(path)).returncode == 0
    secret = nodeloom_home / "cache" / "secret.key"
    old = secret.read_bytes()
    os.chmod(secret, 0o644)
    proc = cli("run", str(path), "--results", str(out))
    assert proc.returncode == 0 and statuses(out) == {"n": "succeeded"}
    assert len([line for line in proc.stderr.splitlines() if "readable or writable by others" in line]) == 1
    assert secret.read_bytes() != old and stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_clearing_the_cache_during_a_run_keeps_what_the_run_uses(tmp_path: Path, nodeloom_home: Path) -> None:
    nodes = [
        {"id": "first", "type": N + "number", "params": {"value": 4}},
        {"id": "wait", "type": N + "slow", "params": {"seconds": 3}},
    ]
    path = write(tmp_path / "p.json", *settled(nodes, [("first.result", "wait.x")]))
    leases = nodeloom_home / "cache" / "leases"
    leases.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = leases / "crashed-run.json"
    stale.write_text(json.dumps({"pid": int(dead.stdout), "pid_started": 1.0, "host": None, "keys": ["k"]}))
    out = tmp_path / "r.json"
    proc = cli_popen("run", str(path), "--results", str(out))
    wait_for_line(proc, "started   wait")
    cleared = cli("cache", "clear")
    assert cleared.returncode == 0 and "1 in use by running runs kept" in cleared.stdout, cleared.stdout
    assert len(_entries(nodeloom_home)) == 1 and not stale.exists()
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert cli("run", str(path), "--results", str(out)).returncode == 0
    assert statuses(out) == {"first": "cached", "wait": "cached"}
    assert list(leases.iterdir()) == []
