"""Keep the result cache within its size limit: least recently used entries go first, in-use ones never.

The limit: `NODELOOM_CACHE_LIMIT` if set, else `cache.limit` in `NODELOOM_HOME/config.toml`, else
`DEFAULT_LIMIT` (5 GB) or 10% of the disk holding the cache, whichever is smaller. A limit is a size
("500MB", "2 GiB", "10G", a plain number of bytes) or a share of the disk ("10%"); "0" keeps only the
latest run's results.

Each run leases the keys it may read or write (`leases/<run id>.json`, with its pid; the file's time is its start) for
as long as it runs, and prunes after it ends. Pruning never removes an entry leased by a run whose
process is still alive, nor one used (written or read: a hit touches it) since such a run began (leases
of dead processes are dropped), so two runs on one home cannot evict each other's inputs or fresh
results, `ctx.map` items included. Leasing and pruning hold one lock file (`fcntl.flock`, where available) so a run
cannot start reading between a prune's look at the leases and its deletions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write_text
from ..home import nodeloom_home, private_file, private_folder
from .cache import ResultCache

try:
    import fcntl
except ImportError:  # Windows: leases still work, only the lock around them is missing
    fcntl = None  # type: ignore[assignment]

LIMIT_ENV = "NODELOOM_CACHE_LIMIT"
CONFIG_NAME = "config.toml"
DEFAULT_LIMIT = 5 * 1000**3
DEFAULT_DISK_SHARE = 0.10
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
log = logging.getLogger("nodeloom.cache")


class CacheLimitError(ValueError):
    """A cache limit that cannot be read (the message names where it came from)."""


@dataclass(frozen=True)
class Limit:
    bytes: int
    source: str  # where it came from, in words


@dataclass(frozen=True)
class Entry:
    key: str
    path: Path
    size: int
    used: float  # last use (modification time)


def parse_size(text: str, disk_bytes: int) -> int:
    """ "500MB", "2GiB", "10%" (of `disk_bytes`), "1234" -> bytes; raises ValueError."""
    text = str(text).strip()
    if text.endswith("%"):
        share = float(text[:-1])
        if not 0 <= share <= 100:
            raise ValueError(f"{text!r}: a share must be between 0% and 100%")
        return int(disk_bytes * share / 100)
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size (like 500MB, 5GB, 10%)")
    number, unit, binary = match.groups()
    scale = 1024 ** ("kmgt".index(unit.lower()) + 1) if binary and unit else _UNITS[unit.lower()]
    return int(float(number) * scale)


def format_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def cache_limit(root: Path | None = None) -> Limit:
    """The configured limit; raises CacheLimitError naming the setting when it cannot be read."""
    root = root or ResultCache().root
    disk = disk_size(root)
    env = os.environ.get(LIMIT_ENV)
    if env is not None and env.strip():
        try:
            return Limit(parse_size(env, disk), f"{LIMIT_ENV}={env}")
        except ValueError as exc:
            raise CacheLimitError(f"{LIMIT_ENV}: {exc}") from None
    config = nodeloom_home() / CONFIG_NAME
    if config.is_file():
        import tomllib

        try:
            value = tomllib.loads(config.read_text(encoding="utf-8")).get("cache", {}).get("limit")
        except (OSError, ValueError, AttributeError) as exc:
            raise CacheLimitError(f"{config}: {exc}") from None
        if value is not None:
            try:
                return Limit(parse_size(str(value), disk), f"{config} cache.limit = {value!r}")
            except ValueError as exc:
                raise CacheLimitError(f"{config}: cache.limit: {exc}") from None
    share = int(disk * DEFAULT_DISK_SHARE)
    if share and share < DEFAULT_LIMIT:
        return Limit(share, "default: 10% of the disk")
    return Limit(DEFAULT_LIMIT, "default")


def disk_size(root: Path) -> int:
    """The size of the disk holding `root` (0 when unknown)."""
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).total
    except OSError:
        return 0


def entries(cache: ResultCache) -> Iterator[Entry]:
    """Every stored entry (a file vanishing meanwhile is skipped)."""
    objects = cache.root / "objects"
    try:
        folders = list(os.scandir(objects))
    except OSError:
        return
    for folder in folders:
        if not folder.is_dir(follow_symlinks=False):
            continue
        with contextlib.suppress(OSError), os.scandir(folder.path) as it:
            for item in it:
                if not item.name.endswith(".pkl") or item.name.startswith("."):
                    continue
                with contextlib.suppress(OSError):
                    st = item.stat(follow_symlinks=False)
                    yield Entry(item.name[:-4], Path(item.path), st.st_size, st.st_mtime)


def stray_temporaries(cache: ResultCache, older_than_s: float = 3600) -> Iterator[Path]:
    """Temporary files a killed writer left behind (old enough that no writer still owns them)."""
    now = time.time()
    for folder in (cache.root / "objects", cache.root / "index"):
        if not folder.is_dir():
            continue
        for path in folder.rglob(".*.tmp"):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > older_than_s:
                    yield path


# -- leases and the lock --------------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(cache: ResultCache) -> Iterator[None]:
    private_folder(cache.root)
    lock_path = cache.root / "lock"
    private_file(lock_path)
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except OSError:
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _lease_dir(cache: ResultCache) -> Path:
    return cache.root / "leases"


def _alive(info: dict[str, object]) -> bool:
    from .run_store import process_alive  # psutil lives there; imported late to keep this light

    pid, started, host = info.get("pid"), info.get("pid_started"), info.get("host")
    return process_alive(
        pid if isinstance(pid, int) else None,
        float(started) if isinstance(started, int | float) else None,
        host if isinstance(host, str) else None,
    )


@dataclass
class InUse:
    """What running runs use: the keys they leased, and every entry they wrote or read since they began."""

    keys: set[str]
    since: float  # entries used at or after this time (the oldest live run's start) are in use

    def __contains__(self, entry: Entry) -> bool:
        return entry.key in self.keys or entry.used >= self.since


def in_use(cache: ResultCache) -> InUse:
    """What live runs use (their leases); leases of runs whose process is gone are removed."""
    found = InUse(set(), float("inf"))
    folder = _lease_dir(cache)
    if not folder.is_dir():
        return found
    for path in folder.glob("*.json"):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict) or not _alive(info):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found.keys.update(k for k in info.get("keys", []) if isinstance(k, str))
        with contextlib.suppress(OSError):  # the lease's own time stamp: the same clock as the entries'
            found.since = min(found.since, path.stat().st_mtime)
    return found


class Lease:
    """A run's claim on its keys while it runs (a context manager; prunes the cache when it ends)."""

    def __init__(self, cache: ResultCache, run_id: str, keys: Iterable[str]) -> None:
        self.cache = cache
        self.keys = set(keys)
        self.path = _lease_dir(cache) / f"{run_id}.json"

    def __enter__(self) -> Lease:
        from .run_writer import process_started

        info = {
            "pid": os.getpid(),
            "pid_started": process_started(),
            "host": socket.gethostname(),
            "keys": sorted(self.keys),
        }
        try:
            with _locked(self.cache):
                private_folder(self.path.parent)
                atomic_write_text(self.path, json.dumps(info), private=True, durable=False)
        except OSError as exc:  # a full disk: the run goes on; a concurrent prune may cost it a recompute
            log.warning("cache lease not written (%s): a concurrent prune may evict this run's entries", exc)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            prune(self.cache)  # this run's lease is still there: its keys and fresh entries stay
        except (CacheLimitError, OSError) as error:  # never fails the run: the cache is only bigger
            log.warning("cache not pruned: %s", error)
        finally:
            with contextlib.suppress(OSError):
                self.path.unlink()


@dataclass
class PruneResult:
    removed: int
    freed: int
    kept: int
    size: int  # what remains
    limit: int


def prune(cache: ResultCache, limit: int | None = None) -> PruneResult:
    """Remove least recently used entries until the cache fits `limit` (default: the configured one).

    What live runs use (`in_use`: their leased keys, and whatever they wrote or read, such as `ctx.map`
    items, whose keys are not known in advance) stays, even if the cache stays over the limit.
    """
    if limit is None:
        limit = cache_limit(cache.root).bytes
    with _locked(cache):
        found = sorted(entries(cache), key=lambda e: e.used)
        total = sum(e.size for e in found)
        removed = freed = 0
        if total > limit:
            keep = in_use(cache)
            for entry in found:
                if total <= limit:
                    break
                if entry in keep:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    entry.path.unlink()
                total -= entry.size
                removed += 1
                freed += entry.size
        for path in stray_temporaries(cache):
            with contextlib.suppress(OSError):
                path.unlink()
    return PruneResult(removed, freed, len(found) - removed, total, limit)


def clear(cache: ResultCache) -> PruneResult:
    """Remove every entry and the index, except entries leased by live runs."""
    result = prune(cache, limit=0)
    with _locked(cache):
        shutil.rmtree(cache.root / "index", ignore_errors=True)
    return result
