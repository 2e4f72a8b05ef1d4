"""The app refuses to start, saying why, when a library's hooks are missing."""

import asyncio

import pytest
from PySide6.QtWidgets import QApplication

from app.selftest import startup_problems


def test_startup_passes_on_the_locked_versions(qapp: QApplication) -> None:
    assert startup_problems() == []


def test_startup_names_a_missing_hook(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(asyncio.events, "_set_running_loop")
    (problem,) = startup_problems()
    assert problem.startswith("qasync ") and "is not supported: missing" in problem
