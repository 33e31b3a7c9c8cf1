"""Where Nodeloom keeps state: `NODELOOM_HOME` if set, else the platform's user data folder.

Run history (SQLite) and the result cache live here, so they survive restarts and are shared by the
CLI and the editor.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def nodeloom_home() -> Path:
    env = os.environ.get("NODELOOM_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("nodeloom", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home
