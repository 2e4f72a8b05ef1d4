"""The seam between the desktop session and the sound devices.

The session pulls the room's audio and feeds the microphone through an
`AudioBackend`; `DeviceAudio` (device_audio.py) is the one on app/audio's
sound devices. `PullAudio` is the stand-in without devices (tests, and the
app's fallback when none opens): it pulls the room every 20 ms as a sound
card would (keeping the playout buffer honest) and sends silence.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES, FRAME_SECONDS

FRAME = FRAME_SAMPLES
NO_DEVICES = (
    "No speakers or microphone found: you can still join rooms, see who is on the stage, "
    "raise your hand and run a room, but you will not hear or be heard. Plug a device in "
    "and choose it in Settings."
)
Frame = NDArray[np.int16]

if TYPE_CHECKING:
    from app.media.client.channel import FrameChannel


class AudioBackend(Protocol):
    playback_muted: bool

    @property
    def frames(self) -> "FrameChannel | None":
        """Captured frames pushed by a device clock (None: `capture` is pulled)."""
        ...

    def capture(self) -> Frame:
        """The next 20 ms of microphone (called by the sending track)."""
        ...

    async def start(self, playback: Callable[[], Frame]) -> None:
        """Start pulling `playback` (frames of the room: 20 ms, now and then
        10 ms when the playout moves a device's phase sooner) to the speakers."""
        ...

    async def stop(self) -> None: ...


class PullAudio:
    def __init__(self) -> None:
        self.playback_muted = False
        self.frames_pulled = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def frames(self) -> "FrameChannel | None":
        return None

    def capture(self) -> Frame:
        return np.zeros(FRAME, dtype=np.int16)

    async def start(self, playback: Callable[[], Frame]) -> None:
        await self.stop()
        self._task = asyncio.get_running_loop().create_task(self._pull(playback))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pull(self, playback: Callable[[], Frame]) -> None:
        start = time.monotonic()
        n = 0
        while True:
            n += 1
            # Paced against the start so that a late wake-up does not drift.
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - time.monotonic()))
            playback()  # muted or not, the buffer is drained at the real rate
            self.frames_pulled += 1
