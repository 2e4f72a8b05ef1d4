"""Client end of the playout path: the room audio as a paced track, and a gated source."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.packet import Packet

from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.client.tracks import pcm_frame
from app.media.opus_playout import OpusPlayout

_PERIOD = FRAME_SAMPLES / SAMPLE_RATE


class PlayoutTrack(MediaStreamTrack):
    """The room audio as an ordinary track: one 20 ms mono frame per period, silence when idle.

    ``recv`` is paced on absolute deadlines (the playback clock); a consumer
    that falls behind by more than a few frames is resynchronised rather
    than served a burst.
    """

    kind = "audio"

    def __init__(self, playout: OpusPlayout) -> None:
        super().__init__()
        self.playout = playout
        self._deadline: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._deadline is None or now - self._deadline > 5 * _PERIOD:
            self._deadline = now
        elif self._deadline > now:
            await asyncio.sleep(self._deadline - now)
        self._deadline += _PERIOD
        pcm = self.playout.next_frame()
        frame = pcm_frame(pcm, self._pts)
        self._pts += FRAME_SAMPLES
        return frame


class GatedTrack(MediaStreamTrack):
    """Forwards ``source`` while open; while closed nothing is sent (push-to-talk).

    The source keeps being read and its frames discarded, like a microphone
    that keeps capturing: its pacing stays real-time, so reopening sends the
    current audio at once, with no backlog burst. aiortc's sender waits in
    ``recv`` meanwhile, so no RTP packet leaves.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, sending: bool = True) -> None:
        super().__init__()
        self.source = source
        self.sending = sending

    async def recv(self) -> Frame | Packet[Any]:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.source.recv()
            if self.sending:
                return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()
