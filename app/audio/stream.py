"""What capture and playback share: an open callback-mode stream and its health."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

import pyaudio

from app.audio.devices import AudioSystem
from app.audio.prefs import DeviceInfo, Direction

log = logging.getLogger(__name__)

# The period asked of PortAudio: half a room frame. PortAudio keeps two periods
# buffered (ALSA), so this sets the device latency: 20 ms each way here
# (40 ms with 20 ms periods), never below PortAudio's own default low latency
# (~9 ms behind PulseAudio), which the stream is opened with.
PERIOD_SECONDS = 0.01
# ALSA devices that are the sound server's (PulseAudio/PipeWire) current default,
# not one piece of hardware: when a device goes away the server itself moves
# the stream to the new default, which is what a reopen would do, so they are
# never probed (a probe opens a connection to the server: CPU every second).
FOLLOWS_SERVER_DEFAULT = frozenset({"default", "pulse", "pipewire"})


def default_period(rate: int) -> int:
    """Frames in the default period at ``rate``."""
    return round(rate * PERIOD_SECONDS)


def pin_thread_state() -> None:
    """Keep this foreign (PortAudio) thread's Python thread state alive.

    pyaudio wraps every callback in PyGILState_Ensure/Release; on a thread
    Python did not start, Release at count zero destroys the thread state,
    so each callback (100 a second) would build and tear down a new one.
    One extra Ensure, never released, keeps it; it is freed with the process
    (one small thread state per stream opened).
    """
    ctypes.pythonapi.PyGILState_Ensure()


class DeviceStream(ABC):
    """Base for ``Capture`` and ``Playback``: opens ``device`` in callback mode
    and keeps the numbers the engine's watchdog reads.

    The callback runs on PortAudio's thread; it must never raise (pyaudio
    would stop the stream), so subclasses catch everything and count it.
    """

    direction: Direction

    def __init__(self, system: AudioSystem, device: DeviceInfo, rate: int, channels: int) -> None:
        self.system = system
        self.device = device
        self.rate, self.channels = system.pick_format(device, self.direction, rate, channels)
        self.callbacks = 0
        self.errors = 0
        self.device_xruns = 0  # PortAudio's own under/overflow flags
        self.last_callback = time.monotonic()
        self.probes = 0  # format probes made by ``healthy``
        self.frames_per_buffer = 0  # the period asked of PortAudio
        self.default_latency = 0.0  # PortAudio's default low latency for the device (s)
        self._stream: pyaudio.Stream | None = None
        self._pinned: int | None = None  # the callback thread whose state is pinned

    def open(self, frames_per_buffer: int | None = None) -> None:
        frames = frames_per_buffer or default_period(self.rate)
        self.frames_per_buffer = frames
        self.last_callback = time.monotonic()
        self.default_latency = self.system.default_latency(self.device, self.direction)
        self._stream = self.system.open(
            self.device, self.direction, self.rate, self.channels, frames, self._on_audio
        )

    @property
    def latency(self) -> float:
        """The device-side latency PortAudio reports, in seconds."""
        if self._stream is None:
            return 0.0
        stream = self._stream
        value = (
            stream.get_input_latency() if self.direction == "input" else stream.get_output_latency()
        )
        return float(value)

    @property
    def needs_probe(self) -> bool:
        """Whether only asking tells that the device is gone (see FOLLOWS_SERVER_DEFAULT)."""
        return not (self.device.host_api == "ALSA" and self.device.name in FOLLOWS_SERVER_DEFAULT)

    def healthy(self, stall: float) -> bool:
        """Running, called back recently, and its device is still present."""
        if self._stream is None or not self._stream.is_active():
            return False
        if time.monotonic() - self.last_callback > stall:
            return False
        if not self.needs_probe:
            return True
        self.probes += 1
        return self.system.present(self.device, self.direction, self.rate, self.channels)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(OSError):  # the device may already be gone
                stream.stop_stream()
            stream.close()

    def _on_audio(
        self, data: bytes | None, frames: int, _times: Any, status: int
    ) -> tuple[bytes | None, int]:
        self.callbacks += 1
        self.last_callback = time.monotonic()
        if self._pinned != (ident := threading.get_ident()):
            pin_thread_state()
            self._pinned = ident
        if status:
            self.device_xruns += 1
        try:
            return self.process(data, frames), pyaudio.paContinue
        except Exception:
            self.errors += 1
            if self.errors == 1:
                log.exception("%s callback failed", self.direction)
            silent = None if self.direction == "input" else bytes(frames * self.channels * 2)
            return silent, pyaudio.paContinue

    @abstractmethod
    def process(self, data: bytes | None, frames: int) -> bytes | None:
        """Capture consumes `data`; playback returns the bytes to play."""
