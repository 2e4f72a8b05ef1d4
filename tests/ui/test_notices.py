"""Notices never move what people click, expire, and go once untrue (#18
point 4): the Approve and Mute buttons keep their place on screen while
notices, errors and the locked/recorded banner come and go, and "X raised a
hand" disappears when the hand is approved."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.requests import PinLink, RaiseHand, SetLocked
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


def where(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def test_notices_and_banners_move_nothing_and_go_when_stale(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url)
        window, session = host.window, host.session
        window.resize(900, 700)
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads")
        room, admin = window.room, window.room.admin
        model = session.model
        assert model is not None
        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("citra", PASSWORD)
        try:
            await guest.join(model.room_id)
            await until(lambda: room.audience.texts() == ["citra"], what="guest listed")
            window.message.clear()
            clicked = {
                "approve": admin.approve,
                "deny": admin.deny,
                "mute": admin.person_buttons["mute"],
                "mute all": admin.mute_all,
                "mute mic": room.mute,
                "leave": room.leave,
            }
            before = {name: where(w, window) for name, w in clicked.items()}

            window.message.seconds = 600  # only the hand being handled can clear it
            await guest.request(RaiseHand())
            await until(lambda: "citra raised a hand" in window.message.text(), what="notice")
            await until(lambda: admin.queue.count() == 1, what="hand queued")
            assert window.message.showing()
            assert {name: where(w, window) for name, w in clicked.items()} == before

            # A stale "raised a hand" goes when the hand is handled.
            QTest.mouseClick(admin.approve, Qt.MouseButton.LeftButton)
            await until(lambda: len(room.stage.texts()) == 2, what="citra on stage")
            await until(lambda: not window.message.showing(), 5, "stale notice gone")
            assert {name: where(w, window) for name, w in clicked.items()} == before

            window.show_message("Something else happened")
            window.controller.errorRaised.emit("And an error")
            # Persistent states appear in their fixed places too.
            await session.act(SetLocked(locked=True))
            await session.act(PinLink(url="https://example.org/agenda"))
            await until(lambda: "locked" in room.banner.text(), what="locked banner")
            await until(lambda: room.pinned.isVisibleTo(window), what="pinned link")
            assert room.banner.isVisibleTo(window) and window.message.text() == "And an error"
            assert {name: where(w, window) for name, w in clicked.items()} == before

            # And every notice expires.
            window.message.show_notice("soon gone", 0.05)
            await until(lambda: not window.message.showing(), 5, "notice expired")
            assert window.message.text() == ""
        finally:
            await guest.close()

    run(scenario())
