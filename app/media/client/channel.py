"""Device-clocked sending: captured 20 ms frames arrive on an asyncio queue and
a track hands each one to aiortc as it comes, so the sound card's clock, not
a timer, paces what is sent."""

from __future__ import annotations

import asyncio
from collections import deque

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from numpy.typing import NDArray

from app.dsp import FRAME_SAMPLES
from app.media.client.tracks import pcm_frame


class FrameChannel:
    """Bounded queue of 48 kHz mono frames, filled on the event loop (the
    capture callback hands frames over with ``call_soon_threadsafe``).

    Full: the oldest frame is dropped, never the newest, so a consumer that
    stalls (no peer yet, a rebuild) resumes with current audio, not a backlog.
    """

    def __init__(self, max_frames: int = 3) -> None:
        self._frames: deque[NDArray[np.int16]] = deque()
        self._max = max_frames
        self._ready = asyncio.Event()
        self.received = 0
        self.overruns = 0  # frames dropped because nobody took them in time
        self.queued = 0  # sum over puts of the frames waiting (this one included)

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: NDArray[np.int16]) -> None:
        self._frames.append(frame)
        self.received += 1
        self.queued += len(self._frames)
        while len(self._frames) > self._max:
            self._frames.popleft()
            self.overruns += 1
        self._ready.set()

    @property
    def mean_depth(self) -> float:
        """Frames waiting on average when one arrives (1.0: taken before the next)."""
        return self.queued / self.received if self.received else 0.0

    def clear(self) -> None:
        self._frames.clear()

    async def get(self) -> NDArray[np.int16]:
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()


class ChannelTrack(MediaStreamTrack):
    """An audio track whose frames come from a ``FrameChannel`` as captured."""

    kind = "audio"

    def __init__(self, channel: FrameChannel) -> None:
        super().__init__()
        self._channel = channel
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        pcm = await self._channel.get()
        frame = pcm_frame(pcm, self._pts)
        self._pts += FRAME_SAMPLES
        return frame
