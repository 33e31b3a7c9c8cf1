"""The editor's one-time question: do you trust the code in this pipeline's folder?

Opening a file never runs its folder's code by itself. A file whose `py:` nodes come from its folder
(or from the current directory) opens with those types read from source; then, once per folder, the
editor asks. "Trust Folder" is remembered in `NODELOOM_HOME` (see `core.trusted_folders`) and the
document is re-checked with the code imported; after "Don't Trust" the Problems dock names each node
that could not be fully checked, a run is refused with the same lines, and opening the file again asks
again (the way to change one's mind). `nodeloom edit --trust FILE` trusts the file's folder for the
session without asking.
"""

from __future__ import annotations

import os
from pathlib import Path

from nodeloom.core import trusted_folders
from nodeloom.core.errors import Problem
from nodeloom.core.registry import Registry
from nodeloom.core.trust import TRUST_ALL, folder_of, policy_for, real
from PySide6.QtWidgets import QMessageBox, QWidget

EDITOR_HINT = "open the file again and choose Trust Folder to check and run it"
OBJECT_NAME = "trust_prompt"

_session_trusted: set[str] = set()


def trust_for_session(folder: str | os.PathLike[str]) -> None:
    """Trust `folder` until the editor quits, without asking or remembering (`edit --trust`)."""
    _session_trusted.add(real(folder))


def forget_session() -> None:
    _session_trusted.clear()


def is_trusted(folder: str | os.PathLike[str]) -> bool:
    path = real(folder)
    return path in _session_trusted or trusted_folders.is_trusted(path)


def prepare(registry: Registry, file: Path) -> bool:
    """Set the registry's policy for opening `file` before anything is resolved; True when trusted."""
    folder = folder_of(file)
    trusted = is_trusted(folder)
    registry.set_policy(TRUST_ALL if trusted else policy_for(file, trusted=False, hint=EDITOR_HINT))
    if trusted:
        registry.use_folder(folder)
    return trusted


def untrusted_nodes(problems: list[Problem]) -> list[Problem]:
    """The warnings that say a node's code was not imported because its folder is not trusted."""
    return [
        p
        for p in problems
        if p.severity == "warning" and p.field == "type" and "untrusted folder" in p.message
    ]


def ask(parent: QWidget | None, folder: Path, nodes: int) -> bool:
    """Ask once whether to trust `folder`; True for "Trust Folder"."""
    box = QMessageBox(parent)
    box.setObjectName(OBJECT_NAME)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Trust this folder?")
    box.setText(f"This pipeline uses Python code from {folder}.")
    box.setInformativeText(
        "Trusting the folder lets Nodeloom import that code to check and run the pipeline; the code can "
        "do anything your account can. Only trust files you wrote or got from someone you trust.\n\n"
        f"Without trust, {nodes} node{'s are' if nodes != 1 else ' is'} read from source only and "
        "cannot run."
    )
    trust = box.addButton("Trust Folder", QMessageBox.ButtonRole.AcceptRole)
    trust.setObjectName("trust_button")
    refuse = box.addButton("Don't Trust", QMessageBox.ButtonRole.RejectRole)
    refuse.setObjectName("refuse_button")
    box.setDefaultButton(refuse)
    box.setEscapeButton(refuse)
    box.exec()
    return box.clickedButton() is trust


def after_open(parent: QWidget | None, registry: Registry, file: Path, problems: list[Problem]) -> bool:
    """If the opened file needs its untrusted folder's code, ask (once per folder); True when the user
    chose to trust it (the caller re-validates: the types are then imported)."""
    folder = folder_of(file)
    waiting = untrusted_nodes(problems)
    if not waiting or is_trusted(folder):
        return False
    if not ask(parent, folder, len({p.node for p in waiting})):
        return False
    trusted_folders.remember(folder)
    registry.set_policy(TRUST_ALL)
    registry.use_folder(folder)
    registry.forget_py()
    return True
