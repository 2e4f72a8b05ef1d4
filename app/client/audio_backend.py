"""The seam between the desktop session and the sound devices.

The session pulls the room's audio and feeds the microphone through an
`AudioBackend`; app/audio provides the device-backed one. `PullAudio` is the
stand-in without devices: it pulls the room every 20 ms as a sound card
would (keeping the playout buffer honest) and sends silence.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

FRAME = 960  # 20 ms at 48 kHz mono
Frame = NDArray[np.int16]


class AudioBackend(Protocol):
    playback_muted: bool

    def capture(self) -> Frame:
        """The next 20 ms of microphone (called by the sending track)."""
        ...

    async def start(self, playback: Callable[[], Frame]) -> None:
        """Start pulling `playback` (20 ms frames of the room) to the speakers."""
        ...

    async def stop(self) -> None: ...


class PullAudio:
    def __init__(self) -> None:
        self.playback_muted = False
        self.frames_pulled = 0
        self._task: asyncio.Task[None] | None = None

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
            await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
            playback()  # muted or not, the buffer is drained at the real rate
            self.frames_pulled += 1
