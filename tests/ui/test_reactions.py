"""Room polish against a real server: reactions sent from the palette and
shown when they arrive, the moderator's invite link (copied to the
clipboard, and it really lets someone in), the pinned link, and the banner
for a locked room and a lost connection."""

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.links import parse_link
from app.protocol.requests import PinLink, React, SetLocked
from app.server.app import RunningServer
from app.ui import room_view
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

LEFT = Qt.MouseButton.LeftButton


def test_reactions_invite_link_pin_and_lock_banner(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window, session = host.window, host.session
        sign_in(host, "dalang", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Wayang night", "Stories")
        room = window.room
        model = session.model
        assert model is not None

        # The palette: one button per reaction the server knows, each named.
        assert set(room.reaction_buttons) == set(room_view.REACTIONS)
        assert room.reaction_buttons["clap"].accessibleName() == "React: Clap"
        QTest.mouseClick(room.reaction_buttons["clap"], LEFT)
        await until(lambda: "👏 dalang" in room.reactions_shown.text(), what="own reaction")

        # Moderators copy an invite link; it lands on the clipboard and works.
        assert room.invite.isVisibleTo(window)
        QTest.mouseClick(room.invite, LEFT)
        await until(lambda: room.invite_link.text() != "", what="invite link")
        link = room.invite_link.text()
        clipboard = QApplication.clipboard()
        assert clipboard is not None and clipboard.text() == link
        assert parse_link(link).room_id == model.room_id and parse_link(link).invite_code
        assert "copied" in window.message.text()

        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("wayan", PASSWORD)
        try:
            parsed = parse_link(link)
            await guest.join(parsed.room_id, parsed.invite_code)
            await until(lambda: room.audience.texts() == ["wayan"], what="guest in")

            # A guest's reaction shows up briefly, then goes away.
            await guest.request(React(reaction="fire"))
            await until(lambda: "🔥 wayan" in room.reactions_shown.text(), what="guest reaction")
            room.clock = lambda: time.monotonic() + room_view.REACTION_SHOW_S
            await until(lambda: room.reactions_shown.text() == "", what="reactions fade")

            # A pinned link is a real link; a locked room says so in a banner.
            await session.act(PinLink(url="https://example.org/notes"))
            await until(lambda: room.pinned.isVisibleTo(window), what="pinned link")
            assert 'href="https://example.org/notes"' in room.pinned.text()
            assert room.pinned.openExternalLinks()
            await session.act(SetLocked(locked=True))
            await until(lambda: room.banner.isVisibleTo(window), what="lock banner")
            assert "locked" in room.banner.text()

            # While the link is down, the banner says so; it clears once back.
            banners: list[str] = []
            host.controller.phaseChanged.connect(
                lambda phase: (
                    banners.append(room.banner.text())
                    if phase == Phase.RECONNECTING.value
                    else None
                )
            )
            assert session.client is not None
            await session.client.conn.close()
            await until(lambda: bool(banners), what="reconnecting banner")
            assert "reconnecting" in banners[0] and "locked" in banners[0]
            await until(lambda: session.phase is Phase.IN_ROOM, 30, "back in the room")
            await until(lambda: "reconnecting" not in room.banner.text(), what="banner cleared")
        finally:
            await guest.close()

    run(scenario())


def test_listener_reacts_but_has_no_invite_button(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("owner", PASSWORD)
        try:
            created = await owner.create_room("Open mic")
            listener = shells(server.url)
            window, session = listener.window, listener.session
            sign_in(listener, "lili", PASSWORD, register=True)
            await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
            assert await session.join(created.room_id)
            room = window.room
            await until(lambda: window.pages.currentWidget() is room, what="joined")
            assert not room.invite.isVisibleTo(window)
            assert all(b.isVisibleTo(window) for b in room.reaction_buttons.values())
            # Keyboard: the reaction buttons take Tab focus and Enter presses them.
            button = room.reaction_buttons["heart"]
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
            seen: list[str] = []
            owner.reaction_hooks.append(lambda burst: seen.extend(burst.counts))
            QTest.mouseClick(button, LEFT)
            await until(lambda: "heart" in seen, what="owner sees the reaction")
            await until(lambda: "❤️ lili" in room.reactions_shown.text(), what="shown here")
        finally:
            await owner.close()

    run(scenario())
