"""The desktop session past the server's live capacity: it plays the room's
broadcast, shows it, goes live when invited to the stage (before accepting),
and is then heard by the room and hears it live, not delayed."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.client.app_settings import Settings
from app.client.audio_backend import Frame
from app.client.desktop_session import DesktopSession
from app.client.room_audio import Tier
from app.client.secrets import TokenStore
from app.dsp import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE
from app.dsp.analysis import peak_frequency
from app.media.client.channel import FrameChannel
from app.protocol.requests import AcceptInvite, InviteToStage
from app.server.app import RunningServer, ServerConfig, start_server
from tests.client import memory_keyring
from tests.client.desktop_support import until

from .helpers import PASSWORD, Member, hears

# The live room's tone changes; a broadcast listener would still hear the old
# one this long after (it is ~2.5 s behind), a live one the new one at once.
BEFORE, AFTER = 440.0, 880.0
WINDOW = (0.5, 1.5)  # seconds after the change that the live ear is judged on


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = ServerConfig(
        db_url=f"sqlite:///{tmp_path / 'desk.db'}",
        host="127.0.0.1",
        port=0,
        hls_dir=tmp_path / "hls",
        webrtc_capacity=1,  # the host's own link: every listener gets the broadcast
    )
    running = await start_server(config)
    yield running
    await running.stop()


class Ears:
    """Sound devices that keep what they play and capture a 660 Hz tone."""

    def __init__(self) -> None:
        self.playback_muted = False
        self.played: list[NDArray[np.int16]] = []
        self._task: asyncio.Task[None] | None = None
        self._n = 0

    @property
    def frames(self) -> FrameChannel | None:
        return None

    def capture(self) -> Frame:
        t = (np.arange(FRAME_SAMPLES) + self._n) / SAMPLE_RATE
        self._n += FRAME_SAMPLES
        return (np.sin(2 * np.pi * 660 * t) * 8000).astype(np.int16)

    async def start(self, playback: Callable[[], Frame]) -> None:
        await self.stop()
        self._task = asyncio.get_running_loop().create_task(self._pull(playback))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def record(self, seconds: float) -> NDArray[np.int16]:
        mark = len(self.played)
        await asyncio.sleep(seconds)
        return np.concatenate(self.played[mark:])

    async def _pull(self, playback: Callable[[], Frame]) -> None:
        start, n = time.monotonic(), 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            self.played.append(playback())


class Tone:
    def __init__(self, freq: float) -> None:
        self.freq, self._n = freq, 0

    def next_frame(self) -> NDArray[np.int16]:
        t = (np.arange(FRAME_SAMPLES) + self._n) / SAMPLE_RATE
        self._n += FRAME_SAMPLES
        return (np.sin(2 * np.pi * self.freq * t) * 8000).astype(np.int16)


async def test_a_broadcast_listener_goes_live_for_the_stage(
    server: RunningServer, tmp_path: Path
) -> None:
    memory_keyring.install()
    tone = Tone(BEFORE)
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
