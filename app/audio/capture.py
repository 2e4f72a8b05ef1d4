"""Microphone capture: PortAudio's callback converts to room frames and hands
them to the event loop; nothing ever blocks on a read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.audio.convert import ToRoom
from app.audio.devices import AudioSystem
from app.audio.meter import LevelMeter
from app.audio.prefs import DeviceInfo, Direction
from app.audio.stream import DeviceStream

if TYPE_CHECKING:
    from app.audio.apm import VoiceProcessor

FrameSink = Callable[[list[NDArray[np.int16]]], None]


class Capture(DeviceStream):
    """``deliver`` is called on ``loop`` (via ``call_soon_threadsafe``) with each
    batch of 20 ms 48 kHz mono frames; ``meter`` is updated on the device thread.
    ``processor`` (looked up per period) cleans the microphone on the device
    thread before framing, so the meter, the room and the mic test all get
    the processed voice."""

    direction: Direction = "input"

    def __init__(
        self,
        system: AudioSystem,
        device: DeviceInfo,
        loop: asyncio.AbstractEventLoop,
        deliver: FrameSink,
        meter: LevelMeter,
        rate: int = 48_000,
        channels: int = 1,
        processor: Callable[[], VoiceProcessor | None] | None = None,
    ) -> None:
        super().__init__(system, device, rate, channels)
        self._loop = loop
        self._deliver = deliver
        self._meter = meter
        self._processor = processor
        self._to_room = ToRoom(self.rate, self.channels, self._process)

    def _process(self) -> Callable[[NDArray[np.int16]], NDArray[np.int16]] | None:
        processor = self._processor() if self._processor is not None else None
        return processor.capture if processor is not None else None

    def process(self, data: bytes | None, frames: int) -> bytes | None:
        if not data:
            return None
        room = self._to_room.push(np.frombuffer(data, dtype=np.int16))
        for frame in room:
            self._meter.update(frame)
        if room:
            # RuntimeError: the loop is closing, and the engine is about to close us.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._deliver, room)
        return None
