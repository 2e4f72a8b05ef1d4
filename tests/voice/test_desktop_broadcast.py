"""The desktop session past the server's live capacity: it plays the room's
broadcast, shows it, goes live when invited to the stage (before accepting),
and is then heard by the room and hears it live, not delayed."""

import asyncio
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from app.client.app_settings import Settings
from app.client.audio_backend import Frame, PullAudio
from app.client.desktop_session import DesktopSession
from app.client.room_audio import Tier
from app.client.secrets import TokenStore
from app.dsp.analysis import peak_frequency
from app.dsp.signals import ToneSource
from app.protocol.requests import AcceptInvite, InviteToStage
from tests.client import memory_keyring
from tests.client.desktop_support import until

from .conftest import ServerFactory
from .helpers import PASSWORD, Member, hears

# The live room's tone changes; a broadcast listener would still hear the old
# one this long after (it is ~2.5 s behind), a live one the new one at once.
BEFORE, AFTER = 440.0, 880.0
WINDOW = (0.5, 1.5)  # seconds after the change that the live ear is judged on


class Ears(PullAudio):
    """Sound devices that keep what they play and capture a 660 Hz tone."""

    def __init__(self) -> None:
        super().__init__()
        self.played: list[NDArray[np.int16]] = []
        self._mic = ToneSource(660)

    def capture(self) -> Frame:
        return self._mic.next_frame()

    async def start(self, playback: Callable[[], Frame]) -> None:
        def keep() -> Frame:
            frame = playback()
            self.played.append(frame)
            return frame

        await super().start(keep)

    async def record(self, seconds: float) -> NDArray[np.int16]:
        mark = len(self.played)
        await asyncio.sleep(seconds)
        return np.concatenate(self.played[mark:])


async def test_a_broadcast_listener_goes_live_for_the_stage(
    make_server: ServerFactory,
) -> None:
    # One live link, the host's own: every listener gets the broadcast.
    server = await make_server(webrtc_capacity=1)
    memory_keyring.install()
    tone = ToneSource(BEFORE)
    host = await Member.sign_in(server.url, "host", tone.next_frame)
    ears = Ears()
    session = DesktopSession(server.url, TokenStore(), ears, Settings())
    try:
        room = await host.client.create_room("Big room")
        await host.start_audio()
        await host.link.press()
        assert await session.sign_in("dian", PASSWORD, register=True)
        assert await session.join(room.room_id)

        await until(lambda: session.broadcast, what="the broadcast tier")
        assert session.status()["audio_tier"] == "broadcast"
        await asyncio.sleep(3.0)  # the broadcast reaches the device
        assert abs(peak_frequency(await ears.record(1.5)) - BEFORE) < 10

        # Invited: the session goes live before the listener answers.
        await host.client.request(InviteToStage(user_id=session.user_id))
        audio = session.room_audio
        assert audio is not None
        await until(lambda: audio.tier is Tier.LIVE, what="the live link")
        assert audio.player is None and not session.broadcast  # the broadcast is closed
        assert await session.act(AcceptInvite())
        await until(lambda: session.on_stage, what="on stage")

        # Live, not delayed: the stage's change is heard at once.
        tone.freq = AFTER
        await asyncio.sleep(WINDOW[0])
        heard = await ears.record(WINDOW[1] - WINDOW[0])
        assert abs(peak_frequency(heard) - AFTER) < 10, peak_frequency(heard)

        # Heard by the room: the listener's microphone, push-to-talk held.
        session.ptt_press()
        await session.ptt_settled()
        assert hears(await host.record(1.5), 660)
    finally:
        await session.close()
        await host.close()
