"""Atomic file writes: write a temporary file beside the target, fsync it, rename it over the target.

The one place core writes a file (pipeline saves, results files, the result cache, autosaves), so
the rules live once: a crash or a full disk mid-save leaves the old file intact, never half a file; the
temporary file is removed when anything fails; the rename is made durable by syncing the folder too.

`atomic_path` is the same for libraries that insist on writing a path themselves.

Permissions: `private=True` makes the file 0600 (everything under NODELOOM_HOME: it holds parameters,
tokens and results). Otherwise a replaced file keeps its mode and a new one gets the user's umask, as
any editor's save would.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE_MODE = 0o600


@functools.cache
def _umask() -> int:
    """The process umask, read without changing it (os.umask sets it, racing other threads)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, private: bool = False, durable: bool = True
) -> None:
    """Replace `path` with `data` atomically. Raises OSError (ENOSPC, EACCES, ...) with nothing left behind.

    `durable=False` skips the fsyncs, for data whose loss on a power cut is harmless (the result cache:
    its entries are authenticated, so a torn one is a verified miss).
    """
    with atomic_path(path, private=private, durable=durable) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, private: bool = False, durable: bool = True
) -> None:
    """`atomic_write_bytes` of UTF-8 text with "\\n" line ends on every platform."""
    atomic_write_bytes(path, text.encode("utf-8"), private=private, durable=durable)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, private: bool = False, durable: bool = True
) -> Iterator[Path]:
    """A temporary path beside `path` for a library that writes files itself (`df.to_parquet(tmp)`,
    `joblib.dump(model, tmp)`, `figure.savefig(tmp)`); when the block succeeds it is synced and renamed
    over `path` under the same rules as `atomic_write_bytes`, else removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        _set_mode(tmp, target, private)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _sync_folder(target.parent)


def _set_mode(tmp: str, target: Path, private: bool) -> None:
    """0600 when private; else a replaced file's mode, or the umask's for a new one (mkstemp made 0600)."""
    if private:
        os.chmod(tmp, PRIVATE_FILE_MODE)
        return
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a power cut (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
