"""The settings screen's mic test: see the input level, and optionally hear
yourself through the chosen speakers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from app.audio.apm import ProcessingSettings
from app.audio.engine import AudioEngine, DeviceEvent, EngineSettings
from app.audio.meter import LevelMeter
from app.audio.prefs import DevicePreferences
from app.audio.ring import SampleRing
from app.dsp import FRAME_SAMPLES


class MicTest:
    """Captured frames go to the meter and, with ``hear_yourself``, into a ring
    that the speakers play from. Capture and playback run on two device
    clocks, so the ring waits for ``delay_frames`` (jitter margin) before
    playing, drops the oldest audio if the speakers fall behind, and plays
    silence (counted) if the microphone does."""

    def __init__(
        self,
        prefs: DevicePreferences | None = None,
        *,
        hear_yourself: bool = False,
        delay_frames: int = 3,
        on_event: Callable[[DeviceEvent], None] | None = None,
        settings: EngineSettings | None = None,
        processing: ProcessingSettings | None = None,
    ) -> None:
        self.ring = SampleRing(FRAME_SAMPLES * 10, target=FRAME_SAMPLES * delay_frames)
        # With ``processing``, what is heard is the processed voice, as the room hears it.
        self.engine = AudioEngine(
            prefs,
            on_event=on_event,
            settings=settings,
            playback=hear_yourself,
            processing=processing,
        )
        self.engine.add_listener(self.ring.write)
        self.engine.play(self._next)

    @property
    def meter(self) -> LevelMeter:
        return self.engine.meter

    def _next(self) -> NDArray[np.int16]:
        return self.ring.read(FRAME_SAMPLES)

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()
