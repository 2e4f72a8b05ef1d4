"""What the one-room README pictures share (floor_shot_scenario,
stall_shot_scenario): ayu hosts a room with budi on her stage and citra and
dewi listening, tika joins it in the real window; and the `main` that runs
such a picture alone, on a server of its own (scripts/screenshots.py
SCENARIO)."""

import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from app.client.app_settings import Settings
from app.client.audio_backend import PullAudio
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.protocol.requests import AcceptInvite, InviteToStage, SetFloorControl, SetTalkMode
from app.server.app import RunningServer, ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.ui.screenshots_scenario import PASSWORD, SIZE, person

PEOPLE = ("ayu", "budi", "citra", "dewi")  # the host, her speaker, two listeners


class RoomShot:
    """tika's window (no tray, no media) and the room's other people."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.people: dict[str, RoomClient] = {}
        self.session = DesktopSession(url, TokenStore(), PullAudio(), Settings(), media=False)
        self.shell = DesktopShell(self.session, use_tray=False)
        self.window = self.shell.window

    async def join(
        self, title: str, topic: str, *, floor_control: bool = False, voice_activity: bool = False
    ) -> str:
        """ayu's new room, budi on its stage (talking by voice activity if
        `voice_activity`), citra and dewi in it, then tika signed in and in it
        in the window, shown; its id."""
        for name in PEOPLE:
            self.people[name] = await person(self.url, name)
        ayu = self.people["ayu"]
        room = await ayu.create_room(title, topic)
        if floor_control:
            await ayu.request(SetFloorControl(enabled=True, max_turn=120))
        for name in PEOPLE[1:]:
            await self.people[name].join(room.room_id)
        budi = self.people["budi"]
        await ayu.request(InviteToStage(user_id=budi.user_id))
        await budi.request(AcceptInvite())
        if voice_activity:
            await budi.request(SetTalkMode(voice_activity=True))
        self.window.resize(*SIZE)
        self.shell.show()
        # Her account is new on a server of its own, already there after the
        # README's other pictures.
        signed_in = await self.session.sign_in("tika", PASSWORD, register=True)
        assert signed_in or await self.session.sign_in("tika", PASSWORD)
        assert await self.session.join(room.room_id)
        return room.room_id

    async def close(self) -> None:
        await self.session.close()
        self.shell.close()
        for client in self.people.values():
            await client.close()


@asynccontextmanager
async def room_shot(url: str) -> AsyncIterator[RoomShot]:
    shot = RoomShot(url)
    try:
        yield shot
    finally:
        await shot.close()


def main_alone(shot: Callable[[RunningServer, Path], Awaitable[None]], prefix: str) -> int:
    """`python -m SCENARIO OUTDIR`: `shot` on a server of its own (SQLite in a
    temp dir named `prefix`...), writing into OUTDIR; 0 when it did."""
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)

    async def alone() -> int:
        memory_keyring.install()
        work = Path(tempfile.mkdtemp(prefix=prefix))
        server = await start_server(
            ServerConfig(db_url=f"sqlite:///{work / 'db.sqlite'}", host="127.0.0.1", port=0)
        )
        try:
            await shot(server, out)
            print("screenshots: ok", flush=True)
            return 0
        finally:
            await server.stop()

    return run_qt(lambda app: alone())
