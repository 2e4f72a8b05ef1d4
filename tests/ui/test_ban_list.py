"""The moderators' ban list in the window (#18 point 12): a banned guest
shows by name, Unban lifts it on the server, and the guest can come back."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.requests import Ban
from app.server.app import RunningServer
from app.ui.plain_text import isolate
from app.ui.shell import DesktopShell
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_room import create_room
from tests.ui.test_sign_in import PASSWORD, sign_in

LEFT = Qt.MouseButton.LeftButton


def test_host_sees_the_ban_list_and_unbans(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = shells(server.url, name="host")
        window, session = host.window, host.session
        sign_in(host, "hostess", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        await create_room(host, "Town hall", "Roads")
        admin = window.room.admin
        model = session.model
        assert model is not None
        guest = RoomClient(server.url, client_name="test", reconnect=False)
        await guest.connect()
        await guest.register("guest", PASSWORD)
        try:
            await guest.join(model.room_id)
            assert await session.act(Ban(user_id=guest.user_id))
            await guest.wait_until(lambda m: guest.kicked == "banned")

            assert admin.bans_button.isVisibleTo(window)
            QTest.mouseClick(admin.bans_button, LEFT)
            dialog = admin.ban_dialog
            assert dialog is not None
            await until(lambda: dialog.names() == [isolate("guest")], what="listed")
            assert dialog.status.text() == "1 banned"
            assert not dialog.unban.isEnabled()  # nobody chosen yet
            dialog.bans.setCurrentRow(0)
            QTest.mouseClick(dialog.unban, LEFT)
            await until(lambda: dialog.names() == [], what="unbanned")
            assert dialog.status.text() == "Nobody is banned."
            # Lifted on the server: the guest comes back.
            await guest.join(model.room_id)
            await until(lambda: model.audience.listeners == 1, what="guest back")
            dialog.reject()
        finally:
            await guest.close()

    run(scenario())
