"""The button, the mute button and the tray follow the session's one Talk
state (issue 18, point 2): never "LIVE" while the room hears nothing."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.app_state import Phase
from app.client.session import RoomClient
from app.protocol.requests import ApproveHand, Mute, RaiseHand, Unmute
from app.server.app import RunningServer
from app.ui.shell import DesktopShell
from app.ui.tray import Tray
from tests.client.desktop_support import ToneAudio, until
from tests.ui.conftest import Run
from tests.ui.test_room import LEFT, talking_on_server
from tests.ui.test_sign_in import PASSWORD, sign_in


def test_button_mute_and_tray_never_lie(
    run: Run[Any], server: RunningServer, shells: Callable[..., DesktopShell]
) -> None:
    async def scenario() -> None:
        shell = shells(server.url, ToneAudio())
        window = shell.window
        tray = Tray(shell.controller, window, lambda: None)
        host = RoomClient(server.url, client_name="test", reconnect=False)
        await host.connect()
        await host.register("host", PASSWORD)
        try:
            await on_stage_with_tray(shell, tray, host)
        finally:
            await host.close()
            tray.deleteLater()

    async def on_stage_with_tray(shell: DesktopShell, tray: Tray, host: RoomClient) -> None:
        window, session = shell.window, shell.session
        model = await host.create_room("Town hall")
        sign_in(shell, "ayu", PASSWORD, register=True)
        await until(lambda: session.phase is Phase.DIRECTORY, what="signed in")
        assert await session.join(model.room_id)
        assert tray.state == "listening" and not tray.talk.isEnabled()
        assert await session.act(RaiseHand())
        await host.request(ApproveHand(user_id=session.user_id))
        await until(lambda: session.on_stage, what="on stage")
        room = window.room
        await until(lambda: session.link is not None and session.link.connected.is_set(), 30)
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), what="window active")
        await until(lambda: tray.state == "on_stage", what="tray on stage")
        assert tray.talk.isEnabled() and not tray.talk.isChecked()

        # Self-muted: the mute button says how to undo it; Space shows no LIVE.
        QTest.mouseClick(room.mute, LEFT)
        await until(lambda: room.mute.text() == "Un&mute microphone", what="mute text")
        assert room.ptt.text() == "Microphone muted — unmute to talk"
        assert tray.state == "muted" and not tray.talk.isEnabled()
        QTest.keyPress(window, Qt.Key.Key_Space)
        await session.ptt_settled()
        assert not room.ptt.text().startswith("● LIVE") and not session.ptt.live
        assert talking_on_server(server, model.room_id) == set()
        QTest.keyRelease(window, Qt.Key.Key_Space)
        QTest.mouseClick(room.mute, LEFT)
        await until(lambda: room.mute.text() == "&Mute microphone", what="unmute text")
        assert room.ptt.isEnabled() and room.ptt.text().startswith("Hold to talk")

        # The tray's Talk entry opens the microphone with the window hidden.
        window.hide()
        tray.talk.trigger()
        await until(lambda: talking_on_server(server, model.room_id) == {session.user_id})
        assert tray.state == "talking" and tray.talk.isChecked()
        assert room.ptt.text().startswith("● LIVE")
        tray.talk.trigger()
        await until(lambda: talking_on_server(server, model.room_id) == set())
        assert tray.state == "on_stage" and not tray.talk.isChecked()
        window.show()

        # Latch mode with the button: a click talks, a second click stops.
        room.latch.click()
        assert room.ptt.text().startswith("Click to talk")
        QTest.mouseClick(room.ptt, LEFT)
        await until(lambda: session.ptt_acked, what="latched on")
        assert room.ptt.text().startswith("● LIVE") and tray.state == "talking"

        # A moderator mutes us while latched live: everything shows it at once.
        await host.request(Mute(user_id=session.user_id))
        await until(lambda: not session.ptt.live, what="stopped by the mute")
        assert room.ptt.text() == "A moderator muted you" and not room.ptt.isEnabled()
        assert tray.state == "muted" and not tray.talk.isChecked() and not tray.talk.isEnabled()
        await until(lambda: talking_on_server(server, model.room_id) == set())
        await host.request(Unmute(user_id=session.user_id))
        await until(lambda: room.ptt.isEnabled(), what="unmuted")
        assert room.ptt.text().startswith("Click to talk") and tray.state == "on_stage"

    run(scenario())
