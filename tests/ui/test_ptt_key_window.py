"""The push-to-talk key is caught where the window's key events enter Qt
(its QWindow), with no application-wide event filter: such a filter ran the
window's Python ``eventFilter`` for every event of the app, qasync's timer
and socket events included (issue 18 point 11: the cost while listening)."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.server.app import RunningServer
from app.ui.main_window import MainWindow
from app.ui.shell import DesktopShell
from tests.client.desktop_support import ToneAudio, until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD, sign_in


def test_ptt_key_through_the_qwindow_and_no_app_wide_filter(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[QObject] = []
    original = MainWindow.eventFilter

    def counting(self: MainWindow, watched: QObject, event: QEvent) -> bool:
        seen.append(watched)
        return original(self, watched, event)

    monkeypatch.setattr(MainWindow, "eventFilter", counting)

    async def scenario() -> None:
        shell = shells(server.url, ToneAudio())
        window, session = shell.window, shell.session
        sign_in(shell, "ayu", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        assert await session.create_room("Keys")
        await until(lambda: session.on_stage, what="the host is on stage")
        await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), what="window active")

        # The way a real key press comes in: to the QWindow, before any widget.
        handle = window.windowHandle()
        assert handle is not None
        QTest.keyPress(handle, Qt.Key.Key_Space)
        assert session.ptt.held and session.ptt.live
        QTest.keyRelease(handle, Qt.Key.Key_Space)
        assert not session.ptt.held
        await until(lambda: not session.ptt.live, what="the key's release heard")

        # Listening a while: qasync's timers and the media sockets fire many
        # events; none of them reaches the window's filter.
        seen.clear()
        for _ in range(50):
            await asyncio.sleep(0.01)
        others = [w for w in seen if w is not window and w is not handle]
        assert others == [], f"{len(others)} events of other objects filtered"

    run(scenario())
