""" "Copy web link": the moderator's invite as an address any browser opens,
served by the same server (the web listener, app/server/web)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.links import parse_link
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in


def test_copy_web_link_opens_the_rooms_page_and_lets_in(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window, session = host.window, host.session
        sign_in(host, "dalang", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Wayang night", "Stories")
        room = window.room
        assert room.web.isVisibleTo(window)
        assert room.web.accessibleName() == "Copy web link"
        QTest.mouseClick(room.web, Qt.MouseButton.LeftButton)
        await until(lambda: room.invite_link.text() != "", what="web link")
        link = room.invite_link.text()
        clipboard = QApplication.clipboard()
        assert clipboard is not None and clipboard.text() == link
        parts = urlsplit(link)
        assert parts.scheme == "http" and parts.netloc == urlsplit(server.http_url).netloc
        assert "web link" in window.message.text().lower()

        async with aiohttp.ClientSession() as http, http.get(link) as resp:
            assert resp.status == 200
            assert "Wayang night" in await resp.text()
        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("wayan", PASSWORD)
        try:
            parsed = parse_link(link)  # the desktop's "Join link" takes it too
            assert parsed.invite_code
            joined = await guest.join(parsed.room_id, parsed.invite_code)
            assert joined.room_id == session.model.room_id  # type: ignore[union-attr]
        finally:
            await guest.close()

    run(scenario())
