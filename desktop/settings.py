"""Where the editor keeps its preferences (recent files, theme, window layout): one INI file.

The file lives in `nodeloom_home()` rather than the platform's registry/plist, so `NODELOOM_HOME`
isolates everything the program remembers (tests use that) and the CLI and editor share one home.
"""

from __future__ import annotations

from nodeloom.core.home import nodeloom_home
from PySide6.QtCore import QSettings

APP_NAME = "Nodeloom"
ORG_NAME = "Nodeloom"
ORG_DOMAIN = "nodeloom.dev"


def app_settings() -> QSettings:
    """The editor's settings (a new handle each call; QSettings syncs them between handles)."""
    return QSettings(str(nodeloom_home() / "editor.ini"), QSettings.Format.IniFormat)
