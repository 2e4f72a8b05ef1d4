"""The cluster benchmark's voices: members with real audio links (aiortc on
127.0.0.1), a tone-speaking speaker and a silent listener on each node, to
time how long after a kill -9 of the origin a listener on a surviving node
hears a speaker on another surviving node again."""

import asyncio
import contextlib
import time

import numpy as np
from numpy.typing import NDArray

from app.client.changes import ClientChange, MediaMoved
from app.client.session import RoomClient
from app.client.voice_link import FrameSource, VoiceLink
from app.dsp import FRAME_SAMPLES, FRAME_SECONDS
from app.dsp.analysis import rms_dbfs, tone_power_ratio
from app.dsp.signals import ToneSource
from app.media.client.peer import ClientPeer

FRAME = FRAME_SAMPLES
# One tone per node's speaker, apart enough to tell in a mix of all three.
TONES = (440.0, 660.0, 880.0)
WINDOW = 0.25  # s of audio per look: the measure's resolution


def _silence() -> NDArray[np.int16]:
    return np.zeros(FRAME, dtype=np.int16)


def hears(audio: NDArray[np.int16], freq: float) -> bool:
    """`freq` clearly in it (a third of the power: one of three equal tones)."""
    return rms_dbfs(audio) > -40 and tone_power_ratio(audio, freq) > 0.15


def silent(audio: NDArray[np.int16]) -> bool:
    return rms_dbfs(audio) < -50


class TimedLink(VoiceLink):
    """A VoiceLink that notes when each step of re-establishing its audio
    happened (monotonic clock): the room moved (a new media epoch seen), the
    offer sent, the answer back, the peer connected (ICE and DTLS done)."""

    def __init__(self, client: RoomClient, source: FrameSource) -> None:
        super().__init__(client, source)
        self.marks: dict[str, float] = {}
        self._unwatch = client.changes.subscribe(self._seen)

    def _seen(self, change: ClientChange) -> None:
        if isinstance(change, MediaMoved):
            self.marks.setdefault("moved", time.monotonic())

    async def _signal(self, offer: str) -> str:
        self.marks.setdefault("offered", time.monotonic())
        answer = await super()._signal(offer)
        self.marks.setdefault("answered", time.monotonic())
        return answer

    def _state_changed(self, peer: ClientPeer) -> None:
        if peer is self.peer and peer.pc.connectionState == "connected":
            self.marks.setdefault("connected", time.monotonic())
        super()._state_changed(peer)

    async def close(self) -> None:
        self._unwatch()
        await super().close()


class Voice:
    """A signed-in member with an audio link and an ear pulling the room's
    audio every 20 ms, as a sound card would."""

    def __init__(self, client: RoomClient, link: TimedLink, tone: float | None) -> None:
        self.client = client
        self.link = link
        self.tone = tone
        self.heard: list[NDArray[np.int16]] = []  # the last 10 s
        self.frames = 0  # pulled in all
        self._ear: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, token: str, tone: float | None = None) -> "Voice":
        client = RoomClient(url, client_name="bench", reconnect=False)
        await client.connect()
        await client.resume(token)
        source = ToneSource(tone).next_frame if tone is not None else _silence
        return cls(client, TimedLink(client, source), tone)

    async def start_audio(self) -> None:
        await self.link.start()
        await asyncio.wait_for(self.link.connected.wait(), 30)
        self._ear = asyncio.get_running_loop().create_task(self._listen())
        if self.tone is not None:
            await self.link.press()

    async def _listen(self) -> None:
        start, n = time.monotonic(), 0
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            self.heard.append(self.link.next_frame())
            self.frames += 1
            del self.heard[:-500]

    async def record(self, seconds: float) -> NDArray[np.int16]:
        """What this member hears over the next `seconds`."""
        mark = self.frames
        await asyncio.sleep(seconds)
        pulled = min(self.frames - mark, len(self.heard))
        return np.concatenate(self.heard[-pulled:]) if pulled > 0 else _silence()

    async def close(self) -> None:
        if self._ear is not None:
            self._ear.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ear
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.link.close(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.close(), 5)


async def until_heard(ear: Voice, tone: float, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not hears(await ear.record(0.5), tone):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tone} Hz not heard within {timeout} s")


async def heard_again(ear: Voice, tone: float, killed: float, timeout: float = 30.0) -> float:
    """Seconds from `killed` until `tone` is heard again, measured at the end of
    the first WINDOW that has it. The audio went through the dead origin, so it
    must first stop (else a tone still in the playout would count)."""
    while not silent(await ear.record(WINDOW)):
        if time.monotonic() - killed > timeout:
            raise TimeoutError("the audio never stopped after the kill")
    while not hears(await ear.record(WINDOW), tone):
        if time.monotonic() - killed > timeout:
            raise TimeoutError(f"{tone} Hz not heard again within {timeout} s")
    return time.monotonic() - killed
