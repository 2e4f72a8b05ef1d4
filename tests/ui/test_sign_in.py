"""Signing in through the window."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.client.desktop_support import until
from tests.ui.conftest import Run

PASSWORD = "correct horse battery"


def sign_in(shell: DesktopShell, name: str, password: str, register: bool) -> None:
    view = shell.window.sign_in
    view.username.setText(name)
    view.password.setText(password)
    button = view.register if register else view.log_in
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_register_wrong_password_and_unreachable(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    keyring_backend: memory_keyring.MemoryKeyring,
) -> None:
    async def scenario() -> None:
        shell = shells(server.url)
        window = shell.window
        assert window.pages.currentWidget() is window.sign_in
        sign_in(shell, "ayu", PASSWORD, register=True)
        await until(lambda: window.pages.currentWidget() is window.directory, what="directory")
        assert "ayu" in window.directory.who.text()
        assert len(keyring_backend.passwords) == 1

        QTest.mouseClick(window.directory.sign_out, Qt.MouseButton.LeftButton)
        await until(lambda: window.pages.currentWidget() is window.sign_in, what="signed out")
        assert keyring_backend.passwords == {}
        sign_in(shell, "ayu", "wrong password!", register=False)
        await until(lambda: window.sign_in.error.isVisible(), what="error shown")
        assert window.sign_in.error.text() == "Wrong username or password."
        assert window.pages.currentWidget() is window.sign_in

        nowhere = shells("ws://127.0.0.1:9/ws", name="nowhere")
        sign_in(nowhere, "ayu", PASSWORD, register=False)
        await until(lambda: nowhere.window.sign_in.error.isVisible(), what="unreachable")
        assert "Cannot reach 127.0.0.1:9" in nowhere.window.sign_in.error.text()

    run(scenario())
