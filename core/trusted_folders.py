"""The folders the user has said they trust (the editor's prompt), kept in `NODELOOM_HOME`.

A JSON list of absolute, symlink-free paths in `trusted-folders.json`, private to the user (0600) and
replaced atomically, so a crash mid-write never loses the list and other accounts cannot read or
extend it. Trusting a folder trusts its subfolders. A missing or unreadable list trusts nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .home import nodeloom_home, write_private
from .trust import real

FILE_NAME = "trusted-folders.json"


def _file(home: Path | None) -> Path:
    return (home or nodeloom_home()) / FILE_NAME


def trusted_folders(home: Path | None = None) -> list[str]:
    """The remembered folders (empty when none, or when the file is unreadable or not a list of paths)."""
    try:
        data = json.loads(_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [p for p in data if isinstance(p, str) and os.path.isabs(p)] if isinstance(data, list) else []


def is_trusted(folder: str | os.PathLike[str], home: Path | None = None) -> bool:
    path = real(folder)
    return any(path == t or path.startswith(t.rstrip(os.sep) + os.sep) for t in trusted_folders(home))


def remember(folder: str | os.PathLike[str], home: Path | None = None) -> None:
    """Add `folder` to the list (written atomically, 0600, like every file in NODELOOM_HOME)."""
    folders = trusted_folders(home)
    path = real(folder)
    if path not in folders:
        write_private(_file(home), json.dumps(sorted([*folders, path]), indent=2) + "\n")


def forget(folder: str | os.PathLike[str], home: Path | None = None) -> None:
    path = real(folder)
    folders = trusted_folders(home)
    if path in folders:
        write_private(_file(home), json.dumps([f for f in folders if f != path], indent=2) + "\n")
