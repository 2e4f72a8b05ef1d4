"""Speaker playback: PortAudio's callback pulls the room's audio through a ring."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.audio.convert import FromRoom
from app.audio.devices import AudioSystem
from app.audio.prefs import DeviceInfo, Direction
from app.audio.ring import SampleRing
from app.audio.stream import DeviceStream
from app.dsp import FRAME_SAMPLES, SAMPLE_RATE

if TYPE_CHECKING:
    from app.audio.apm import VoiceProcessor

Pull = Callable[[], NDArray[np.int16]]


class Playback(DeviceStream):
    """Each callback tops the ring up from ``pull`` (20 ms of 48 kHz mono per
    call, e.g. ``VoiceLink.next_frame``: thread-safe, never blocks, silence
    when idle), converted to the device's format, then takes exactly what
    the device asked for. So the device clock drives the room's adaptive
    playout buffer, whose jitter estimate absorbs the network; the ring only
    bridges device periods and rates that do not divide 20 ms at 48 kHz. A
    device that runs 48 kHz mono in periods that divide a frame (the engine
    asks for half frames) gets slices of each pulled frame: a frame is pulled
    when the device needs its first sample, never earlier, and there is no
    ring, resampler or extra copy.
    """

    direction: Direction = "output"

    def __init__(
        self,
        system: AudioSystem,
        device: DeviceInfo,
        pull: Callable[[], Pull],
        rate: int = 48_000,
        channels: int = 1,
        processor: Callable[[], VoiceProcessor | None] | None = None,
    ) -> None:
        super().__init__(system, device, rate, channels)
        self._pull = pull  # looked up per callback: the engine may swap the source
        self._processor = processor
        self._from_room = FromRoom(self.rate, self.channels)
        # Room for 200 ms: more than any device asks for in one callback.
        self.ring = SampleRing(self.rate * self.channels // 5, channels=self.channels)
        self._held: NDArray[np.int16] | None = None  # the frame being played in slices
        self._offset = 0

    @property
    def buffered(self) -> int:
        """Room samples pulled but not yet handed to the device (ring or held frame)."""
        held = len(self._held) - self._offset if self._held is not None else 0
        return held + self.ring.level // self.channels * SAMPLE_RATE // self.rate

    def process(self, data: bytes | None, frames: int) -> bytes | None:
        want = frames * self.channels
        pull = self._pull()
        processor = self._processor() if self._processor is not None else None
        if (
            self._from_room.passthrough
            and not self.ring.level
            and 0 < want <= FRAME_SAMPLES
            and FRAME_SAMPLES % want == 0
        ):
            # The room's format in periods that divide a frame (the engine asks
            # for half frames): slices of the pulled frame, no ring, no resampler.
            if self._held is None or self._offset >= len(self._held):
                frame = pull()
                if len(frame) != FRAME_SAMPLES:  # not a whole frame: let the ring cope
                    self._held = None
                    if processor is not None:
                        processor.render(frame)
                    self.ring.write(frame)
                    return self._from_ring(want, _rendering(pull, processor))
                self._held, self._offset = frame, 0
            start, self._offset = self._offset, self._offset + want
            part = np.asarray(self._held[start : self._offset], dtype=np.int16)
            if processor is not None:  # the echo canceller hears what is played, as played
                processor.render(part)
            return part.tobytes()
        if self._held is not None:  # a period that stopped dividing a frame: keep its rest
            rest = self._held[self._offset :]
            if processor is not None:
                processor.render(rest)
            self.ring.write(rest)
            self._held = None
        return self._from_ring(want, _rendering(pull, processor))

    def _from_ring(self, want: int, pull: Pull) -> bytes:
        for _ in range(64):  # bounded: a resampler may yield nothing at first
            if self.ring.level >= want:
                break
            self.ring.write(self._from_room.convert(pull()))
        return self.ring.read(want).tobytes()


def _rendering(pull: Pull, processor: VoiceProcessor | None) -> Pull:
    """``pull``, also handing each frame to the echo canceller as it enters the
    ring (its time in the ring is part of the delay the engine reports)."""
    if processor is None:
        return pull

    def rendered() -> NDArray[np.int16]:
        frame = pull()
        processor.render(frame)
        return frame

    return rendered
