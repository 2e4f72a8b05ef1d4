"""The push-to-talk key is caught where key presses arrive (the window), not
by a filter every Qt event of the app passes through (issue 18 point 11:
with qasync every asyncio callback and socket wake-up is a Qt event)."""

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.server.app import RunningServer
from app.ui.main_window import MainWindow
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


def test_space_from_the_window_system_talks_and_other_objects_events_skip_the_filter(
    run: Run[Any],
    server: RunningServer,
    shells: Callable[..., DesktopShell],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the bystander is kept: holding the wrappers of what the filter saw
    # would pin them to the base type it saw them as.
    bystander = QObject()
    seen = [0]
    real_filter = MainWindow.eventFilter

    def counting(self: MainWindow, watched: QObject, event: QEvent) -> bool:
        if watched is bystander:
            seen[0] += 1
        return real_filter(self, watched, event)

    monkeypatch.setattr(MainWindow, "eventFilter", counting)

    async def scenario() -> None:
        host = shells(server.url)
        window, session = host.window, host.session
        sign_in(host, "keyholder", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Keys", "")
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), what="window active")

        # An event for an object outside the window never reaches its filter.
        for _ in range(20):
            QCoreApplication.sendEvent(bystander, QEvent(QEvent.Type.User))
        assert seen == [0]

        # A key from the window system (through the QWindow, as a real key
        # comes) talks even while a button has the focus, and releasing it
        # neither clicks that button nor leaves the room.
        window.room.leave.setFocus()
        await until(lambda: window.room.leave.hasFocus(), what="button focused")
        handle = window.windowHandle()
        assert handle is not None
        QTest.keyPress(handle, Qt.Key.Key_Space)
        assert session.ptt.live
        QTest.keyRelease(handle, Qt.Key.Key_Space)
        await until(lambda: not session.ptt.live, what="released (after its tail)")
        assert session.phase is Phase.IN_ROOM

    run(scenario())
