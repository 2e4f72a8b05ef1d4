"""The README's floor-control picture, from the real window: tika, a speaker,
presses push-to-talk while ayu (the host) holds the floor, and waits; budi talks by voice
activity (the badge on the stage). Run by tests/ui/screenshots_scenario.py
(`make screenshots`) or alone on a screen:

    .venv/bin/python scripts/screenshots.py docs/screenshots tests.ui.floor_shot_scenario
"""

import sys
import tempfile
from pathlib import Path

from app.client.app_settings import Settings
from app.client.audio_backend import PullAudio
from app.client.desktop_session import DesktopSession
from app.client.ptt import PttSource
from app.client.secrets import TokenStore
from app.client.session import RoomClient
from app.client.talk import Talk
from app.protocol.requests import (
    AcceptInvite,
    InviteToStage,
    PushToTalk,
    SetFloorControl,
    SetTalkMode,
)
from app.server.app import ServerConfig, start_server
from app.ui.application import run_qt
from app.ui.shell import DesktopShell
from tests.client import memory_keyring
from tests.client.desktop_support import until
from tests.ui.screenshots_scenario import PASSWORD, SIZE, person, save, settle, talk


async def floor_shot(url: str, out: Path) -> None:
    people: dict[str, RoomClient] = {}
    session = DesktopSession(url, TokenStore(), PullAudio(), Settings(), media=False)
    shell = DesktopShell(session, use_tray=False)
    window = shell.window
    try:
        for name in ("ayu", "budi", "citra", "dewi"):
            people[name] = await person(url, name)
        ayu = people["ayu"]
        room = await ayu.create_room("Rapat warga: one voice at a time", "Questions in turn")
        await ayu.request(SetFloorControl(enabled=True, max_turn=120))
        for name in ("budi", "citra", "dewi"):
            await people[name].join(room.room_id)
        budi = people["budi"]
        await ayu.request(InviteToStage(user_id=budi.user_id))
        await budi.request(AcceptInvite())
        await budi.request(SetTalkMode(voice_activity=True))
        window.resize(*SIZE)
        shell.show()
        assert await session.sign_in("tika", PASSWORD, register=True)
        assert await session.join(room.room_id)
        me = session.user_id
        await ayu.request(InviteToStage(user_id=me))
        await until(lambda: window.room.accept.isVisible(), what="invited")
        window.room.accept.click()
        await until(lambda: session.on_stage, what="on stage")
        await ayu.request(PushToTalk(pressed=True))
        await until(lambda: "ayu has the floor" in window.room.banner.text(), what="floor")
        session.ptt_press(PttSource.BUTTON)
        await until(lambda: session.talk() is Talk.WAITING, what="waiting")
        talk(session, ayu.user_id)
        await settle()
        save(window, out / "floor.png")
        session.ptt_release(PttSource.BUTTON)
    finally:
        await session.close()
        shell.close()
        for client in people.values():
            await client.close()


async def alone(out: Path) -> int:
    memory_keyring.install()
    work = Path(tempfile.mkdtemp(prefix="panggung-floor-shot-"))
    server = await start_server(
        ServerConfig(db_url=f"sqlite:///{work / 'db.sqlite'}", host="127.0.0.1", port=0)
    )
    try:
        await floor_shot(server.url, out)
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
