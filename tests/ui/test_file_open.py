"""Room links that the OS hands to the app as QFileOpenEvents (macOS does
so for `panggung://` links) join the room, as `panggung join LINK` does;
against a real server."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.replies import InviteCreated
from app.protocol.requests import CreateInvite
from app.server.app import RunningServer
from app.ui.application import LinkOpener, sends_file_open
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_sign_in import PASSWORD


def open_url(app: QApplication, url: str) -> None:
    """What macOS does with a link the app is registered for."""
    QCoreApplication.sendEvent(app, QFileOpenEvent(QUrl(url)))


def test_file_open_links_join_the_room(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell], qapp: QApplication
) -> None:
    async def scenario() -> None:
        owner = RoomClient(server.url, client_name="test", reconnect=False)
        await owner.connect()
        await owner.register("ayu", PASSWORD)
        room = await owner.create_room("Opened from a link", invite_only=True)

        async def invite() -> str:
            return (await owner.conn.call_for(CreateInvite(), InviteCreated)).link

        shell = shells(server.url)
        session = shell.session
        shell.window.hide()
        links = LinkOpener()
        qapp.installEventFilter(links)
        try:
            # The link that starts the app comes before the app is wired up.
            first = await invite()
            assert first.startswith("panggung://")
            open_url(qapp, first)
            assert links.pending == [first]
            joined: list[str] = []

            def join_path(link: str) -> None:
                joined.append(link)
                shell.open_link(link)

            links.set_handler(join_path)
            assert joined == [first] and links.pending == []
            assert shell.window.isVisible()
            # Not signed in yet: the link waits for it, then joins.
            assert session.phase is Phase.SIGNED_OUT and shell.pending_link == first
            assert await session.sign_in("budi", PASSWORD, register=True)
            await until(lambda: session.phase is Phase.IN_ROOM, what="joined from the link")
            assert session.model is not None and session.model.room_id == room.room_id
            assert shell.pending_link is None

            # A running app gets an http(s) form of an invite the same way.
            await session.leave()
            assert session.phase is Phase.DIRECTORY
            web = (await invite()).replace("panggung://", "http://", 1)
            open_url(qapp, web)
            assert joined[-1] == web
            await until(lambda: session.phase is Phase.IN_ROOM, what="joined from http link")

            # Other files and web pages are not room links: left to Qt.
            for other in ("file:///tmp/notes.txt", "https://example.com/about", "mailto:a@b"):
                open_url(qapp, other)
            assert len(joined) == 2 and links.pending == []
        finally:
            qapp.removeEventFilter(links)
            await owner.close()

    run(scenario())


def test_only_macos_gets_the_application_wide_link_filter() -> None:
    # Elsewhere links come as arguments, and such a filter runs Python for
    # every event of the app (issue 18 point 11).
    assert sends_file_open("darwin")
    assert not sends_file_open("linux") and not sends_file_open("win32")
