"""PortAudio through pyaudio: the device list, format negotiation, probes.

One ``AudioSystem`` is one PortAudio session. PortAudio's control calls are
not made thread-safe by pyaudio, and opening a device can block, so the
engine makes every call from one worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyaudio

from app.audio.alsa_config import release_alsa_config
from app.audio.prefs import DeviceInfo, Direction

StreamCallback = Callable[[bytes | None, int, Any, int], tuple[bytes | None, int]]

# PortAudio error code for a device that exists but is busy (ALSA EBUSY).
_DEVICE_UNAVAILABLE = -9985


def _portaudio() -> pyaudio.PyAudio:
    pa = pyaudio.PyAudio()
    release_alsa_config()  # the devices are listed: the plugins it loaded can go
    return pa


class AudioSystem:
    def __init__(self) -> None:
        self._pa: pyaudio.PyAudio | None = _portaudio()

    @property
    def pa(self) -> pyaudio.PyAudio:
        if self._pa is None:
            raise RuntimeError("audio system closed")
        return self._pa

    def devices(self) -> list[DeviceInfo]:
        pa = self.pa
        out = []
        for i in range(pa.get_device_count()):
            info = pa.get_device_info_by_index(i)
            out.append(
                DeviceInfo(
                    index=i,
                    name=str(info["name"]),
                    host_api=str(pa.get_host_api_info_by_index(info["hostApi"])["name"]),
                    max_input_channels=int(info["maxInputChannels"]),
                    max_output_channels=int(info["maxOutputChannels"]),
                    default_rate=round(float(info["defaultSampleRate"])),
                )
            )
        return out

    def default_index(self, direction: Direction) -> int | None:
        try:
            info = (
                self.pa.get_default_input_device_info()
                if direction == "input"
                else self.pa.get_default_output_device_info()
            )
        except OSError:  # no such device on this machine
            return None
        return int(info["index"])

    def default_latency(self, device: DeviceInfo, direction: Direction) -> float:
        """PortAudio's default low latency for ``device`` (s): what pyaudio asks
        for when it opens a stream; the period we ask for can only add to it."""
        info = self.pa.get_device_info_by_index(device.index)
        key = "defaultLowInputLatency" if direction == "input" else "defaultLowOutputLatency"
        return float(info[key])

    def supports(self, device: DeviceInfo, direction: Direction, rate: int, channels: int) -> bool:
        kw: dict[str, Any] = (
            {"input_device": device.index, "input_channels": channels}
            if direction == "input"
            else {"output_device": device.index, "output_channels": channels}
        )
        fmt = {f"{direction}_format": pyaudio.paInt16}
        try:
            return bool(self.pa.is_format_supported(rate, **kw, **fmt))
        except ValueError:
            return False

    def present(self, device: DeviceInfo, direction: Direction, rate: int, channels: int) -> bool:
        """Whether the device is still there (a ~2 ms probe, safe while it is open).

        Behind PulseAudio a vanished device does not break our stream (the
        server moves it to another device), so asking is the only way to know.
        """
        kw: dict[str, Any] = (
            {"input_device": device.index, "input_channels": channels}
            if direction == "input"
            else {"output_device": device.index, "output_channels": channels}
        )
        try:
            self.pa.is_format_supported(rate, **kw, **{f"{direction}_format": pyaudio.paInt16})
        except ValueError as exc:
            return len(exc.args) > 1 and exc.args[1] == _DEVICE_UNAVAILABLE  # busy, not gone
        return True

    def pick_format(
        self, device: DeviceInfo, direction: Direction, rate: int, channels: int
    ) -> tuple[int, int]:
        """The wanted (rate, channels) if the device takes it; else its own rate
        and/or stereo, which the caller converts with PyAV."""
        other = 2 if channels == 1 else 1
        for r, c in ((rate, channels), (rate, other), (device.default_rate, channels),
                     (device.default_rate, other)):  # fmt: skip
            if c <= device.channels(direction) and self.supports(device, direction, r, c):
                return r, c
        raise OSError(f"{device.name!r} takes neither {rate} Hz nor its own rate as 16-bit PCM")

    def open(
        self,
        device: DeviceInfo,
        direction: Direction,
        rate: int,
        channels: int,
        frames_per_buffer: int,
        callback: StreamCallback,
    ) -> pyaudio.Stream:
        """A started stream in callback mode (PortAudio's thread calls ``callback``)."""
        return self.pa.open(
            rate=rate,
            channels=channels,
            format=pyaudio.paInt16,
            input=direction == "input",
            output=direction == "output",
            input_device_index=device.index if direction == "input" else None,
            output_device_index=device.index if direction == "output" else None,
            frames_per_buffer=frames_per_buffer,
            stream_callback=callback,
        )

    def restart(self) -> None:
        """Re-initialise PortAudio so that it lists devices plugged in since
        (closes every stream opened through this system)."""
        self.close()
        self._pa = _portaudio()

    def close(self) -> None:
        if self._pa is not None:
            self._pa.terminate()
            self._pa = None


def list_devices() -> list[DeviceInfo]:
    """The devices as PortAudio sees them now (blocking; not on an event loop)."""
    system = AudioSystem()
    try:
        return system.devices()
    finally:
        system.close()
