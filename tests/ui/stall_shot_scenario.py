"""The README's picture of a stalled room, from the real window: tika listens
to ayu and budi when the room's audio stops reaching tika's server, which
tells her `media_stalled` (delivered here by the server itself through her
real connection, as a node hands on what the room's edge relay says; a real
stall is caused in tests/server/cluster/test_edge_relay.py). Run by
tests/ui/screenshots_scenario.py (`make screenshots`) or alone on a screen:

    .venv/bin/python scripts/screenshots.py docs/screenshots tests.ui.stall_shot_scenario
"""

import sys
from pathlib import Path

from app.protocol import encode
from app.protocol.replies import MediaStalled
from app.server.app import RunningServer
from tests.client.desktop_support import until
from tests.ui.room_shot import main_alone, room_shot
from tests.ui.screenshots_scenario import save, settle


async def stall_shot(server: RunningServer, out: Path) -> None:
    async with room_shot(server.url) as shot:
        window, session = shot.window, shot.session
        room_id = await shot.join("Kabar pagi: the morning news", "Listeners on every node")
        frame = encode(MediaStalled(room_id=room_id, stalled=True))
        server.hub.on_notice(room_id, session.user_id, frame, False)
        badge = window.room.badges["stalled"]
        await until(lambda: badge.isVisibleTo(window), what="the stall shown")
        await settle()
        save(window, out / "room-stalled.png")


if __name__ == "__main__":
    sys.exit(main_alone(stall_shot, "panggung-stall-shot-"))
