"""The first-run question in its dialog: host here or connect to a URL,
answered once and remembered in the settings."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.client.app_settings import JsonSettingsStore, ServerMode, Settings
from app.client.server_choice import EMBEDDED, ServerChoice, resolve_server
from app.server.app import ServerConfig, start_server
from app.ui.first_run import FirstRunDialog, ask_server
from app.ui.settings_store import QtSettingsStore
from tests.client.desktop_support import until
from tests.support.app_log import wait_for_event
from tests.ui.conftest import Run
from tests.ui.test_end_to_end import PANGGUNG, app_env, panggung


@pytest.fixture(autouse=True)
def app_keeps_running(qapp: QApplication) -> Iterator[None]:
    """As in the app (run_qt): closing the only window does not stop the loop."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def shown() -> FirstRunDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, FirstRunDialog) and widget.isVisible():
            return widget
    return None


async def answer(url: str | None) -> None:
    """Answer the question on screen: a URL, "" for hosting here, None to cancel."""
    await until(lambda: shown() is not None, what="first-run dialog")
    dialog = shown()
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    if url is None:
        dialog.reject()
        return
    if url:
        QTest.mouseClick(dialog.remote, Qt.MouseButton.LeftButton)
        assert not ok.isEnabled()  # a URL is needed first
        QTest.keyClicks(dialog.url, url)
    assert ok.isEnabled()
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_the_choice_is_asked_once_and_remembered(run: Run[Any], tmp_path: Path) -> None:
    path = tmp_path / "settings.json"

    async def scenario() -> None:
        settings = JsonSettingsStore(path).load()
        asking = asyncio.ensure_future(
            resolve_server(
                None, settings, ask_server, lambda: JsonSettingsStore(path).save(settings)
            )
        )
        await answer("ws://rooms.example:8765/ws")
        choice = await asking
        assert choice == ServerChoice(ServerMode.URL, "ws://rooms.example:8765/ws")
        saved = JsonSettingsStore(path).load()
        assert (saved.server_mode, saved.server_url) == ("url", "ws://rooms.example:8765/ws")

        async def must_not_ask() -> ServerChoice | None:
            raise AssertionError("asked again")

        assert await resolve_server(None, saved, must_not_ask, lambda: None) == choice

    run(scenario())


def test_hosting_here_and_cancelling(run: Run[Any], tmp_path: Path) -> None:
    path = tmp_path / "settings.json"

    async def scenario() -> None:
        settings = JsonSettingsStore(path).load()
        asking = asyncio.ensure_future(
            resolve_server(
                None, settings, ask_server, lambda: JsonSettingsStore(path).save(settings)
            )
        )
        await answer(None)
        assert await asking is None
        assert not path.exists()  # nothing chosen, nothing remembered

        asking = asyncio.ensure_future(
            resolve_server(
                None, settings, ask_server, lambda: JsonSettingsStore(path).save(settings)
            )
        )
        await answer("")
        assert await asking == EMBEDDED
        assert JsonSettingsStore(path).load().server_mode == "embedded"

    run(scenario())


async def test_the_app_uses_the_remembered_server(tmp_path: Path) -> None:
    running = await start_server(
        ServerConfig(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    config = tmp_path / "config"
    JsonSettingsStore(config / "settings.json").save(
        Settings(server_mode="url", server_url=running.url)
    )
    env = app_env(tmp_path)
    log = (tmp_path / "app.log").open("wb")
    app = await asyncio.create_subprocess_exec(
        str(PANGGUNG),
        *("--config", str(config), "--offscreen", "--no-sound"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        assert app.stdout is not None
        ready = await wait_for_event(app.stdout, "ready")
        assert ready["event"] == "ready" and ready["server"] == running.url
        await panggung(config, env, "quit")
        assert await asyncio.wait_for(app.wait(), 60) == 0
    finally:
        if app.returncode is None:
            app.kill()
            await app.wait()
        log.close()
        await running.stop()
    # What the app keeps now: the old file imported into QSettings, not lost.
    assert QtSettingsStore(config).load().server_url == running.url
