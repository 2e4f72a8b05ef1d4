"""The README's floor-control picture, from the real window: tika, a speaker,
presses push-to-talk while ayu (the host) holds the floor, and waits; budi talks by voice
activity (the badge on the stage). Run by tests/ui/screenshots_scenario.py
(`make screenshots`) or alone on a screen:

    .venv/bin/python scripts/screenshots.py docs/screenshots tests.ui.floor_shot_scenario
"""

import sys
from pathlib import Path

from app.client.ptt import PttSource
from app.client.talk import Talk
from app.protocol.requests import InviteToStage, PushToTalk
from tests.client.desktop_support import until
from tests.ui.room_shot import main_alone, room_shot
from tests.ui.screenshots_scenario import save, settle, talk


async def floor_shot(url: str, out: Path) -> None:
    async with room_shot(url) as shot:
        window, session = shot.window, shot.session
        await shot.join(
            "Rapat warga: one voice at a time",
            "Questions in turn",
            floor_control=True,
            voice_activity=True,
        )
        ayu = shot.people["ayu"]
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


if __name__ == "__main__":
    sys.exit(main_alone(lambda server, out: floor_shot(server.url, out), "panggung-floor-shot-"))
