"""Speaker playback: PortAudio's callback pulls the room's audio through a ring."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from app.audio.convert import FromRoom
from app.audio.devices import AudioSystem
from app.audio.prefs import DeviceInfo, Direction
from app.audio.ring import SampleRing
from app.audio.stream import DeviceStream

Pull = Callable[[], NDArray[np.int16]]


class Playback(DeviceStream):
    """Each callback tops the ring up from ``pull`` (20 ms of 48 kHz mono per
    call, e.g. ``VoiceLink.next_frame``: thread-safe, never blocks, silence
    when idle), converted to the device's format, then takes exactly what
    the device asked for. So the device clock drives the room's adaptive
    playout buffer, whose jitter estimate absorbs the network; the ring only
    bridges device periods and rates that are not 20 ms at 48 kHz.
    """

    direction: Direction = "output"

    def __init__(
        self,
        system: AudioSystem,
        device: DeviceInfo,
        pull: Callable[[], Pull],
        rate: int = 48_000,
        channels: int = 1,
    ) -> None:
        super().__init__(system, device, rate, channels)
        self._pull = pull  # looked up per callback: the engine may swap the source
        self._from_room = FromRoom(self.rate, self.channels)
        # Room for 200 ms: more than any device asks for in one callback.
        self.ring = SampleRing(self.rate * self.channels // 5, channels=self.channels)

    def process(self, data: bytes | None, frames: int) -> bytes | None:
        want = frames * self.channels
        pull = self._pull()
        for _ in range(64):  # bounded: a resampler may yield nothing at first
            if self.ring.level >= want:
                break
            self.ring.write(self._from_room.convert(pull()))
        return self.ring.read(want).tobytes()
