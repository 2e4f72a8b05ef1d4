"""The README's picture of a stalled room, from the real window: tika listens
to ayu and budi when the room's audio stops reaching tika's server, which
tells her `media_stalled` (delivered here by the server itself through her
real connection, as a node hands on what the room's edge relay says; a real
stall is caused in tests/server/cluster/test_edge_relay.py). Run by
tests/ui/screenshots_scenario.py (`make screenshots`) or alone on a screen:

    .venv/bin/python scripts/screenshots.py docs/screenshots tests.ui.stall_shot_scenario
"""

import sys
import tempfile
from pathlib import Path

from app.client.app_settings import Settings
from app.client.audio_backend import PullAudio
from app.client.desktop_session import DesktopSession
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.protocol import encode
from app.protocol.replies import MediaStalled
from app.protocol.requests import AcceptInvite, InviteToStage
from app.server.app import RunningServer, ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.client.desktop_support import until
from tests.ui.screenshots_scenario import PASSWORD, SIZE, person, save, settle


async def stall_shot(server: RunningServer, out: Path) -> None:
    url = server.url
    people: dict[str, RoomClient] = {}
    session = DesktopSession(url, TokenStore(), PullAudio(), Settings(), media=False)
    shell = DesktopShell(session, use_tray=False)
    window = shell.window
    try:
        for name in ("ayu", "budi", "citra", "dewi"):
            people[name] = await person(url, name)
        ayu = people["ayu"]
        room = await ayu.create_room("Kabar pagi: the morning news", "Listeners on every node")
        for name in ("budi", "citra", "dewi"):
            await people[name].join(room.room_id)
        budi = people["budi"]
        await ayu.request(InviteToStage(user_id=budi.user_id))
        await budi.request(AcceptInvite())
        window.resize(*SIZE)
        shell.show()
        assert await session.sign_in("tika", PASSWORD, register=True)
        assert await session.join(room.room_id)
        frame = encode(MediaStalled(room_id=room.room_id, stalled=True))
        server.hub.on_notice(room.room_id, session.user_id, frame, False)
        badge = window.room.badges["stalled"]
        await until(lambda: badge.isVisibleTo(window), what="the stall shown")
        await settle()
        save(window, out / "room-stalled.png")
    finally:
        await session.close()
        shell.close()
        for client in people.values():
            await client.close()


async def alone(out: Path) -> int:
    memory_keyring.install()
    work = Path(tempfile.mkdtemp(prefix="panggung-stall-shot-"))
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{work / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    try:
        await stall_shot(server, out)
        print("screenshots: ok", flush=True)
        return 0
    finally:
        await server.stop()


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return run_qt(lambda app: alone(out))


if __name__ == "__main__":
    sys.exit(main())
