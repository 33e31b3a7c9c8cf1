"""Test-wide set-up: Qt offscreen (without it Qt aborts the process) and a private NODELOOM_HOME."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))


@pytest.fixture(autouse=True)
def nodeloom_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("NODELOOM_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def default_registry_trusts_everything() -> Iterator[None]:
    """A test that opened a file in the editor leaves the shared registry's trust policy as it was."""
    yield
    from nodeloom.core import registry

    if registry._default is not None:
        registry._default.set_policy(registry.TRUST_ALL)
