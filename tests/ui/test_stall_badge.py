"""The room window and the tray say when the room's audio stalls: the real
window of a listener, a real server, and the server's own `media_stalled`
frame delivered to that listener through their real connection (the way a
node hands its members what the room's origin or edge relay tells them:
`on_notice`). The stall's cause on a real edge is tested in
tests/server/cluster/test_edge_relay.py; here, what the listener sees."""

from collections.abc import Callable
from typing import Any

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol import encode
from app.protocol.replies import MediaStalled, OfferAgain
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from app.ui.tray import Tray
from tests.client.desktop_support import until
from tests.ui.conftest import Run
from tests.ui.test_plain_text import tooltip_shows
from tests.ui.test_sign_in import PASSWORD, sign_in

INTERRUPTED = "Audio interrupted — reconnecting…"


def test_a_stall_shows_in_the_window_and_the_tray_until_the_audio_is_back(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        host = RoomClient(server.url, client_name="test", reconnect=False)
        await host.connect()
        await host.register("host", PASSWORD)
        guest = shells(server.url, name="guest")
        tray = Tray(guest.controller, guest.window, lambda: None)
        try:
            await stalled_and_back(host, guest, tray)
        finally:
            tray.icon.hide()
            tray.deleteLater()
            await host.close()

    async def stalled_and_back(host: RoomClient, guest: DesktopShell, tray: Tray) -> None:
        session, window = guest.session, guest.window
        rid = (await host.create_room("Kabar pagi")).room_id
        sign_in(guest, "pendengar", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        assert await session.join(rid)
        await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
        badge = window.room.badges["stalled"]
        assert not badge.isVisibleTo(window) and INTERRUPTED not in tooltip_shows(
            tray.icon.toolTip()
        )

        def tell(frame: bytes, user_id: int) -> None:
            server.hub.on_notice(rid, user_id, frame, False)

        tell(encode(MediaStalled(room_id=rid, stalled=True)), session.user_id)
        await until(lambda: badge.isVisibleTo(window), what="the stall shown")
        assert badge.text() == INTERRUPTED
        assert session.status()["audio_stalled"] is True
        shown = tooltip_shows(tray.icon.toolTip())
        assert "Listening: Kabar pagi" in shown and INTERRUPTED in shown
        assert not host.media_stalled  # told to the listener concerned only

        # Another room's notice is not ours; the audio's return clears both.
        tell(encode(MediaStalled(room_id="elsewhere", stalled=False)), session.user_id)
        tell(encode(MediaStalled(room_id=rid, stalled=False)), session.user_id)
        await until(lambda: not badge.isVisibleTo(window), what="the stall cleared")
        assert INTERRUPTED not in tooltip_shows(tray.icon.toolTip())

        # Asked to offer the audio again (it moves to another node): that node
        # tells anew if its stream stalls, so the old stall is not shown on.
        tell(encode(MediaStalled(room_id=rid, stalled=True)), session.user_id)
        await until(lambda: badge.isVisibleTo(window), what="stalled again")
        link = session.link
        assert link is not None
        tell(encode(OfferAgain(room_id=rid)), session.user_id)
        await until(lambda: not badge.isVisibleTo(window), what="cleared by the new offer")
        await until(lambda: link.rebuilds == 1 and link.connected.is_set(), 30, "offered again")

    run(scenario())
