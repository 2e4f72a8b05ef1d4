"""Run by test_tray.py under Xvfb with a tray host (a real X display, not
offscreen): the window closes to the tray, the room keeps going, and an
invitation arrives as a tray notification and is
declined, then accepted, from the tray menu. Exits 0 when all held.

    python -m tests.ui.tray_scenario WORKDIR [SCREENSHOT.png]
"""

import asyncio
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.client.app_settings import Settings
from app.client.app_state import Phase
from app.client.audio_backend import PullAudio
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.protocol.requests import InviteToStage
from app.server.app import ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.client.desktop_support import until

PASSWORD = "correct horse battery"


def invited(session: DesktopSession) -> bool:
    me = session.me()
    return me is not None and me.invited


async def scenario(app: QApplication, workdir: Path, shot: Path | None) -> int:
    memory_keyring.install()
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{workdir / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    owner = RoomClient(server.url, client_name="test", reconnect=False)
    session = DesktopSession(server.url, TokenStore(), PullAudio(), Settings())
    shell = DesktopShell(session, use_tray=True)
    try:
        assert shell.tray is not None, "no system tray on this display"
        shell.show()
        await owner.connect()
        await owner.register("owner", PASSWORD)
        room = await owner.create_room("Late show")
        assert await session.sign_in("tika", PASSWORD, register=True)
        assert await session.join(room.room_id)
        await until(lambda: shell.tray is not None and shell.tray.state == "listening")
        if shot is not None:
            await asyncio.sleep(0.5)
            screen = QGuiApplication.primaryScreen()
            assert screen.grabWindow(0).save(str(shot))

        # Closing the window hides it; the session stays in the room.
        shell.window.close()
        assert not shell.window.isVisible() and not shell.quit_requested.is_set()
        shown: list[tuple[str, str]] = []
        shell.tray.notified.connect(lambda title, text: shown.append((title, text)))
        tray = shell.tray
        assert not tray.accept_invite.isEnabled() and not tray.decline_invite.isEnabled()
        await owner.request(InviteToStage(user_id=session.user_id))
        await until(lambda: bool(shown), what="tray notification")
        assert shown[0][0] == "Invitation to the stage", shown
        assert session.phase is Phase.IN_ROOM
        # The invitation is answered from the tray menu: first declined ...
        await until(lambda: tray.decline_invite.isEnabled(), what="tray can decline")
        assert tray.accept_invite.isEnabled()
        tray.decline_invite.trigger()
        await until(lambda: not invited(session), what="invitation declined")
        await until(lambda: not tray.accept_invite.isEnabled(), what="tray answered")
        assert not tray.decline_invite.isEnabled() and not session.on_stage
        # ... then, invited again, accepted: onto the stage.
        await owner.request(InviteToStage(user_id=session.user_id))
        await until(lambda: tray.accept_invite.isEnabled(), what="tray can accept")
        tray.accept_invite.trigger()
        await until(lambda: session.on_stage, what="on the stage from the tray")
        await until(lambda: tray.state == "on_stage", what="tray shows on stage")
        assert not tray.accept_invite.isEnabled() and not tray.decline_invite.isEnabled()
        # Minimising also goes to the tray; the tray menu brings it back.
        shell.tray.toggle_window()
        await until(lambda: shell.window.isVisible(), what="window back")
        shell.tray.quit.trigger()
        assert shell.quit_requested.is_set()
        print("tray scenario: ok", flush=True)
        return 0
    finally:
        await session.close()
        shell.close()
        await owner.close()
        await server.stop()


def main() -> int:
    workdir = Path(sys.argv[1])
    shot = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    return run_qt(lambda app: scenario(app, workdir, shot))


if __name__ == "__main__":
    sys.exit(main())
