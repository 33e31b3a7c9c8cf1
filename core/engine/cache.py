"""The on-disk result cache under `nodeloom_home()/cache`, shared by every run, the CLI and the editor.

`objects/<k[:2]>/<key>.pkl` holds one node's outputs, pickled, behind a header and an HMAC-SHA256 tag
(`MAGIC`, then the tag, then the pickle). The tag covers the key and the pickle and is made with this
home's secret (`secret.key`, 32 random bytes, 0600), so an entry that was tampered with, truncated,
swapped with another key's or copied from another home fails verification and is a miss (one warning
line, and the file is removed so it warns once) - the pickle is never loaded before the tag checks out.
Entries are written atomically (`atomic.py`), so concurrent runs writing the same key are safe.

`index/<pipeline>/<node id>.json` remembers the signature of the node's last execution and how it ended,
so the engine can say in words why a node is not cached. Failed nodes are never stored. An entry's
modification time is its last use (a hit touches it): `cache_space.py` evicts the least recently used
entries when the cache outgrows its limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import stat
import threading
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..home import nodeloom_home, private_folder

PROTOCOL = pickle.HIGHEST_PROTOCOL
MAGIC = b"NLCACHE2"  # format of an entry; older (unauthenticated) entries have other first bytes
TAG_SIZE = 32
SECRET_NAME = "secret.key"
SECRET_SIZE = 32
# Entries and index records are written atomically but not fsynced: the tag already turns an entry a
# power cut left half-written into a verified miss, and an fsync per node made a 1,000-node first run
# 4x slower. Set True to trade that speed for entries that survive a power cut.
DURABLE = False
log = logging.getLogger("nodeloom.cache")

_secrets: dict[str, bytes] = {}
_secrets_lock = threading.Lock()


def cache_root() -> Path:
    return nodeloom_home() / "cache"


class ResultCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_root()
        self._warned = False  # one warning line per cache (per run), however many entries are bad
        self._secret: bytes | None = None

    # -- objects -----------------------------------------------------------------------------------
    def object_path(self, key: str) -> Path:
        return self.root / "objects" / key[:2] / f"{key}.pkl"

    def has(self, key: str) -> bool:
        """Whether an entry in the current format exists: cheap (the editor asks after every edit).

        Its tag is checked when it is loaded; one that fails then is a miss like any other.
        """
        try:
            with open(self.object_path(key), "rb") as f:
                return f.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored entry ({"outputs", "run_id", "node_id", "time"}) or None when missing or not valid.

        A hit marks the entry used now (its modification time), for least-recently-used eviction.
        """
        payload = self._verified_payload(key)
        if payload is None:
            return None
        try:
            entry = pickle.loads(payload)  # noqa: S301 - authenticated by this home's secret above
        except Exception:  # noqa: BLE001 - a class that no longer imports: a miss
            return None
        if not (isinstance(entry, dict) and isinstance(entry.get("outputs"), dict)):
            return None
        with contextlib.suppress(OSError):
            os.utime(self.object_path(key))
        return entry

    def store_bytes(self, key: str, data: bytes) -> None:
        """Store a pickled entry (from `cache_entry_bytes`) under `key`; raises OSError (a full disk)."""
        tag = hmac.new(self.secret(), _signed(key, data), hashlib.sha256).digest()
        private_folder(self.object_path(key).parent)
        atomic_write_bytes(self.object_path(key), MAGIC + tag + data, private=True, durable=DURABLE)

    def _verified_payload(self, key: str) -> bytes | None:
        path = self.object_path(key)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError:
            return None
        head = len(MAGIC) + TAG_SIZE
        if len(blob) >= head and blob.startswith(MAGIC):
            payload = blob[head:]
            expected = hmac.new(self.secret(), _signed(key, payload), hashlib.sha256).digest()
            if hmac.compare_digest(expected, blob[len(MAGIC) : head]):
                return payload
        if not self._warned:
            self._warned = True
            log.warning(
                "cache entry %s failed verification (tampered, truncated or from another NODELOOM_HOME): "
                "ignored and removed; the node runs again (further bad entries of this run are removed silently)",
                path,
            )
        with contextlib.suppress(OSError):
            path.unlink()
        return None

    # -- the secret ----------------------------------------------------------------------------------
    def secret(self) -> bytes:
        """This cache's HMAC key: read once per process, created (0600) on first use."""
        if self._secret is not None:
            return self._secret
        name = str(self.root.resolve())
        with _secrets_lock:
            found = _secrets.get(name)
            if found is None:
                found = _secrets[name] = _read_or_create_secret(self.root / SECRET_NAME)
        self._secret = found
        return found

    # -- index ---------------------------------------------------------------------------------------
    def _index_path(self, scope: str, node_id: str) -> Path:
        folder = hashlib.sha256(scope.encode()).hexdigest()[:16]
        return self.root / "index" / folder / f"{_file_safe(node_id)}.json"

    def last(self, scope: str, node_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._index_path(scope, node_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remember(self, scope: str, node_id: str, key: str, signature: dict[str, Any], status: str) -> None:
        record = {"key": key, "status": status, "signature": signature}
        text = json.dumps(record, sort_keys=True, default=repr)
        path = self._index_path(scope, node_id)
        private_folder(path.parent)
        atomic_write_bytes(path, text.encode("utf-8"), private=True, durable=DURABLE)


def _signed(key: str, payload: bytes) -> bytes:
    """What an entry's tag covers: the key (an entry cannot be moved to another key) and the pickle."""
    return b"nodeloom-cache-entry\0" + key.encode("ascii", "replace") + b"\0" + payload


def _file_safe(node_id: str) -> str:
    """A node id as a file name: ids are validated, but a name must never leave its folder."""
    if node_id and all(c.isalnum() or c in "_-." for c in node_id) and not node_id.startswith("."):
        return node_id
    return "_" + hashlib.sha256(node_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _read_or_create_secret(path: Path) -> bytes:
    """The secret at `path`; a missing one is created, an unusable one replaced.

    Unusable: not a regular file, not ours, readable or writable by others, or not 32 bytes. Replacing
    one only costs misses (entries signed with it no longer verify); keeping a secret that others could
    read or have written would let them forge entries.
    """
    private_folder(path.parent)
    found, problem = _read_secret(path)
    if found is not None:
        return found
    fresh = secrets.token_bytes(SECRET_SIZE)
    tmp = _write_tmp(path, fresh)
    if problem is None:  # missing: of several processes creating it at once, the first one wins
        try:
            os.link(tmp, path)
        except FileExistsError:
            os.unlink(tmp)
            found, problem = _read_secret(path)
            if found is not None:
                return found
            tmp = _write_tmp(path, fresh)
        except OSError:  # no hard links on this file system: the rename below (last writer wins)
            pass
        else:
            os.unlink(tmp)
            return fresh
    if problem is not None:
        log.warning("cache secret %s %s: made a new one (cached results run again)", path, problem)
    os.replace(tmp, path)
    return fresh


def _read_secret(path: Path) -> tuple[bytes | None, str | None]:
    """(the secret, None), or (None, what is wrong with it), or (None, None) when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"is unreadable ({exc.strerror or exc})"
    try:
        st = os.fstat(fd)
        value = os.read(fd, SECRET_SIZE + 1)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        return None, "is not a regular file"
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return None, "belongs to another user"
    if st.st_mode & 0o077:
        return None, "was readable or writable by others"
    if len(value) != SECRET_SIZE:
        return None, "has the wrong size"
    return value, None


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    atomic_write_bytes(tmp, data, private=True)
    return tmp


def cache_entry_bytes(outputs: dict[str, Any], run_id: str, node_id: str, finished: float) -> bytes:
    """Pickle a node's outputs as a cache entry (raises if a value cannot be pickled)."""
    return pickle.dumps(
        {"outputs": outputs, "run_id": run_id, "node_id": node_id, "time": finished}, PROTOCOL
    )


def scope_of(pipeline_name: str, file: str | None) -> str:
    """Which pipeline a node id belongs to, for the index: its file when known, else its name."""
    return "file:" + os.path.abspath(file) if file else "name:" + pipeline_name
