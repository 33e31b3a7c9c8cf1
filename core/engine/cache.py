"""The on-disk result cache under `nodeloom_home()/cache`, shared by every run, the CLI and the editor.

`objects/<k[:2]>/<key>.pkl` holds one node's outputs, pickled, written atomically (temporary file,
then rename), so a crash never leaves a half entry and concurrent runs writing the same key are safe.
`index/<pipeline>/<node id>.json` remembers the signature of the node's last execution and how it ended,
so the engine can say in words why a node is not cached. Failed nodes are never stored. A corrupt or
unreadable entry counts as a miss. Nothing is evicted automatically; delete the folder to reclaim space.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from ..home import nodeloom_home

PROTOCOL = pickle.HIGHEST_PROTOCOL


class ResultCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else nodeloom_home() / "cache"

    # -- objects -----------------------------------------------------------------------------------
    def object_path(self, key: str) -> Path:
        return self.root / "objects" / key[:2] / f"{key}.pkl"

    def has(self, key: str) -> bool:
        return self.object_path(key).is_file()

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored entry ({"outputs", "run_id", "node_id", "time"}) or None when missing or unreadable."""
        try:
            with open(self.object_path(key), "rb") as f:
                entry = pickle.load(f)
        except Exception:  # noqa: BLE001 - missing, truncated, or a class that no longer imports: a miss
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("outputs"), dict) else None

    def store_bytes(self, key: str, data: bytes) -> None:
        _atomic_write_bytes(self.object_path(key), data)

    # -- index ---------------------------------------------------------------------------------------
    def _index_path(self, scope: str, node_id: str) -> Path:
        folder = hashlib.sha256(scope.encode()).hexdigest()[:16]
        return self.root / "index" / folder / f"{node_id}.json"

    def last(self, scope: str, node_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._index_path(scope, node_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remember(self, scope: str, node_id: str, key: str, signature: dict[str, Any], status: str) -> None:
        record = {"key": key, "status": status, "signature": signature}
        text = json.dumps(record, sort_keys=True, default=repr)
        _atomic_write_bytes(self._index_path(scope, node_id), text.encode("utf-8"))


def cache_entry_bytes(outputs: dict[str, Any], run_id: str, node_id: str, finished: float) -> bytes:
    """Pickle a node's outputs as a cache entry (raises if a value cannot be pickled)."""
    return pickle.dumps(
        {"outputs": outputs, "run_id": run_id, "node_id": node_id, "time": finished}, PROTOCOL
    )


def scope_of(pipeline_name: str, file: str | None) -> str:
    """Which pipeline a node id belongs to, for the index: its file when known, else its name."""
    return "file:" + os.path.abspath(file) if file else "name:" + pipeline_name


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
