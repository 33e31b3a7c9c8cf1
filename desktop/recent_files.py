"""Recently opened pipeline files, most recent first, kept in the editor settings (at most 10).

`nodeloom` without a file reopens `last()`. Files that no longer exist are dropped when listed, so
the Open Recent menu never offers a dead entry.
"""

from __future__ import annotations

from pathlib import Path

from .settings import app_settings

MAX_RECENT = 10
_KEY = "files/recent"


def _stored() -> list[str]:
    value = app_settings().value(_KEY, [])
    if isinstance(value, str):  # QSettings returns a single-item list as a plain string in INI files
        value = [value]
    return [str(v) for v in value or [] if v]


def recent_files() -> list[Path]:
    """Existing recent files, most recent first."""
    return [Path(p) for p in _stored() if Path(p).is_file()]


def add_recent(path: Path) -> None:
    resolved = str(Path(path).resolve())
    entries = [resolved] + [p for p in _stored() if p != resolved]
    app_settings().setValue(_KEY, entries[:MAX_RECENT])


def remove_recent(path: Path) -> None:
    resolved = str(Path(path).resolve())
    app_settings().setValue(_KEY, [p for p in _stored() if p != resolved])


def clear_recent() -> None:
    app_settings().remove(_KEY)


def last_file() -> Path | None:
    found = recent_files()
    return found[0] if found else None
