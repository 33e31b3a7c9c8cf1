"""Where Nodeloom keeps state: `NODELOOM_HOME` if set, else the platform's user data folder.

Run history (SQLite), the result cache and the editor's autosaves live here, so they survive restarts
and are shared by the CLI and the editor. They hold `--set` values (tokens), log lines and results, so
the folder is private: created 0700 (an existing one is tightened when it is ours) and every file in
it is written 0600. Everything that writes here goes through `private_folder` / `private_file` (or
`atomic.atomic_write_*(private=True)`), so the rule lives in one place.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import platformdirs

from .atomic import PRIVATE_FILE_MODE, atomic_write_bytes, atomic_write_text

PRIVATE_FOLDER_MODE = 0o700


def nodeloom_home() -> Path:
    """The state folder, created 0700 (or tightened to 0700) on first use."""
    env = os.environ.get("NODELOOM_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("nodeloom", appauthor=False))
    if _too_open(home):  # made by an older Nodeloom (or by hand): tighten what is ours in it, once
        private_folder(home)
        _tighten_tree(home)
    return private_folder(home)


def _too_open(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return bool(st.st_mode & 0o077) and _ours(st) and not st.st_mode & stat.S_ISVTX and path != Path.home()


def _ours(st: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def _tighten_tree(home: Path) -> None:
    """Folders 0700 and files 0600 below `home`, for those we own (symbolic links are not followed)."""
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(folder, name))
                if stat.S_ISDIR(st.st_mode) and _ours(st) and st.st_mode & 0o077:
                    os.chmod(os.path.join(folder, name), PRIVATE_FOLDER_MODE)
        for name in files:
            path = Path(folder, name)
            with contextlib.suppress(OSError):
                if _ours(os.lstat(path)):
                    tighten(path)


def private_folder(path: Path) -> Path:
    """Create `path` (and missing parents) 0700; tighten an existing folder we own to 0700.

    A shared folder (sticky bit, like /tmp) or one owned by someone else is left as it is: its files are
    still written 0600, and chmod-ing a folder that is not ours would break other people's use of it.
    """
    missing = [path, *(p for p in path.parents if not p.exists())] if not path.is_dir() else []
    for folder in reversed(missing):  # each one 0700 (mkdir(parents=True) would make parents 0755)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=PRIVATE_FOLDER_MODE)
    if _too_open(path):
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_FOLDER_MODE)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty and 0600 if missing; tighten it to 0600 if it is ours and more open.

    For files written by other code (SQLite creates its -wal and -shm files with the database's mode,
    so a 0600 database gives 0600 companions).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE)
    except OSError:
        return
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            with contextlib.suppress(OSError):
                os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Make an existing file of ours 0600 (no-op when missing); for files another program created."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE_MODE)


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file under NODELOOM_HOME the way every one is written: atomically, 0600, in a 0700 folder.

    For code outside the engine that keeps state here (the editor's autosaves).
    """
    private_folder(path.parent)
    if isinstance(data, str):
        atomic_write_text(path, data, private=True)
    else:
        atomic_write_bytes(path, data, private=True)
