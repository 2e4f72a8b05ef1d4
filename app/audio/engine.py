"""The desktop's audio engine: a microphone into a ``VoiceLink`` and the room
out of the speakers, on the devices the person chose, surviving devices that
come and go without leaving the room.

    engine = AudioEngine(prefs, on_event=show_in_ui, capture=False)
    link = VoiceLink(client, frames=engine.frames)
    engine.play(link.next_device_frame)
    await engine.start()
    ...
    await engine.set_capture(True)  # on stage / push-to-talk pressed
    await engine.set_capture(False)  # off stage / released: the microphone closes

A listener never needs the microphone: ``capture=False`` keeps it closed
until ``set_capture(True)`` (no capture callbacks, no device probes, and the
system's "microphone in use" indicator stays off).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

from app.audio.capture import Capture
from app.audio.devices import AudioSystem
from app.audio.meter import LevelMeter
from app.audio.playback import Playback, Pull
from app.audio.prefs import DeviceInfo, DevicePreferences, Direction, choose_device, find_device
from app.audio.processing import ProcessingSettings
from app.audio.stream import DeviceStream, default_period
from app.dsp import FRAME_SAMPLES, SAMPLE_RATE
from app.media.client.channel import FrameChannel

if TYPE_CHECKING:
    from app.audio.apm import VoiceProcessor

log = logging.getLogger(__name__)
T = TypeVar("T")
OUT_FIRST: tuple[Direction, Direction] = ("output", "input")  # listening matters most
BOTH: tuple[Direction, Direction] = ("input", "output")


def silence() -> NDArray[np.int16]:
    return np.zeros(FRAME_SAMPLES, dtype=np.int16)


@dataclass(frozen=True)
class EngineSettings:
    rate: int = SAMPLE_RATE  # asked of the devices; others are converted
    channels: int = 1
    frames_per_buffer: int | None = None  # None: 10 ms (half a frame) at the device's rate
    # The speakers' period while no microphone is open (s; None: as above). A
    # listener has no conversation to keep tight: longer periods wake PortAudio,
    # the ALSA plugin and PulseAudio's client a fraction as often, for that much
    # more device latency (two periods buffered). With a microphone open the
    # speakers go back to the short period (the echo canceller, the talk).
    listening_period: float | None = 0.04
    check_interval: float = 1.0  # s between device health checks
    stall: float = 3.0  # s without a callback = the device is gone (covers slow starts)


@dataclass(frozen=True)
class DeviceEvent:
    """A device change for the app to show. ``using`` None: none left in that
    direction (no microphone: the person can still listen)."""

    direction: Direction
    lost: str | None  # the device we wanted or had, if any
    using: str | None
    reason: str

    def message(self) -> str:
        what = "Microphone" if self.direction == "input" else "Speakers"
        gone = f"{what} {self.lost!r} {self.reason}" if self.lost else f"{what}: {self.reason}"
        return f"{gone}; using {self.using!r}" if self.using else f"{gone}; none available"


class AudioEngine:
    def __init__(
        self,
        prefs: DevicePreferences | None = None,
        *,
        on_event: Callable[[DeviceEvent], None] | None = None,
        settings: EngineSettings | None = None,
        capture: bool = True,
        playback: bool = True,
        processing: ProcessingSettings | None = None,
    ) -> None:
        self.prefs = prefs or DevicePreferences()
        self.settings = settings or EngineSettings()
        self.frames = FrameChannel()  # captured audio, for VoiceLink(frames=...)
        self.meter = LevelMeter()
        self.events: list[DeviceEvent] = []
        self.recoveries = 0
        self._on_event = on_event
        self._listeners: list[Callable[[NDArray[np.int16]], None]] = []
        self._want = {"input": capture, "output": playback}
        self._pull: Pull = silence
        self._streams: dict[Direction, DeviceStream | None] = {"input": None, "output": None}
        self._system: AudioSystem | None = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="portaudio")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watch: asyncio.Task[None] | None = None
        self._devices_lock = asyncio.Lock()  # opens and closes never interleave
        # Voice processing on the microphone (None: the raw microphone). The
        # module is made when a microphone first opens: a listener never
        # loads livekit.
        self._processing: ProcessingSettings | None = None
        self._processor: VoiceProcessor | None = None
        self.set_processing(processing)

    # -- public API ------------------------------------------------------

    def play(self, pull: Pull) -> None:
        """What the speakers play: 20 ms of 48 kHz mono per call (now and then
        10 ms, to move the pull phase sooner), from any thread."""
        self._pull = pull

    def set_processing(self, settings: ProcessingSettings | None) -> None:
        """Echo cancellation, noise suppression, gain control: each on or off,
        from now on (any thread; the device callbacks look it up per period)."""
        self._processing = settings if settings is not None and settings.any else None
        if self._processing is None:
            self._processor = None
        elif self._processor is not None:
            self._processor.configure(self._processing)

    @property
    def processing(self) -> ProcessingSettings | None:
        return self._processing

    @property
    def processor(self) -> VoiceProcessor | None:
        """The module, once a microphone has opened with processing on."""
        return self._processor

    def _prepare_processor(self) -> None:
        """Before a microphone opens: the module, if processing is on."""
        if self._processing is not None and self._processor is None:
            from app.audio.apm import VoiceProcessor

            self._processor = VoiceProcessor(self._processing, self._delay_ms())

    def _current_processor(self) -> VoiceProcessor | None:
        return self._processor

    def _echo_reference(self) -> VoiceProcessor | None:
        """The processor the speakers feed: only while a microphone is open.
        With none (a listener), nothing uses the reference, and the playback
        callback is spared its 100 calls a second into the library."""
        return self._processor if self._streams["input"] is not None else None

    def _delay_ms(self) -> float:
        """Playback to capture, as the echo canceller's hint: what PortAudio
        reports for both devices, plus the room audio pulled but not yet played."""
        out, inp = self._streams["output"], self._streams["input"]
        if out is None or inp is None:
            return 40.0  # 20 ms each way: this engine's usual
        pending = out.buffered / SAMPLE_RATE if isinstance(out, Playback) else 0.0
        return (out.latency + inp.latency + pending) * 1e3

    def _update_delay(self) -> None:
        if self._processor is not None:
            self._processor.set_delay(self._delay_ms())

    def add_listener(self, listener: Callable[[NDArray[np.int16]], None]) -> Callable[[], None]:
        """Also hand every captured frame to ``listener`` (on the event loop),
        until the returned function is called."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def input_device(self) -> DeviceInfo | None:
        stream = self._streams["input"]
        return stream.device if stream else None

    @property
    def output_device(self) -> DeviceInfo | None:
        stream = self._streams["output"]
        return stream.device if stream else None

    @property
    def capturing(self) -> bool:
        """Whether the microphone is wanted (it may still be missing)."""
        return self._want["input"]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._system = await self._call(AudioSystem)
        async with self._devices_lock:
            for direction in OUT_FIRST:
                await self._open(direction, reason="is not connected")
        self._watch = self._loop.create_task(self._watchdog())

    async def set_capture(self, on: bool) -> None:
        """Open (True) or close (False) the microphone, e.g. when the member goes
        on or off stage or presses/releases push-to-talk. Opening follows the
        preferences like ``start`` (a missing microphone is an event, the person
        still listens); closing drops any queued frames and resets the meter.
        Before ``start`` it only says whether ``start`` opens it."""
        async with self._devices_lock:
            self._want["input"] = on
            if self._system is None:
                return
            if on:
                await self._repace_output()  # short periods before the echo delay is taken
                if self._streams["input"] is None:
                    await self._open("input", reason="is not connected")
            else:
                await self._close("input")
                self.frames.clear()
                self.meter.reset()
                await self._repace_output()

    async def devices(self) -> list[DeviceInfo]:
        return await self._call(self._sys().devices)

    async def select(self, direction: Direction, wanted: str | int | None) -> None:
        """Use this device (name, index, or None for the default) and remember it by name."""
        devices = await self.devices()
        found = find_device(devices, direction, wanted) if wanted is not None else None
        self.prefs.set(direction, found.name if found else None)
        async with self._devices_lock:
            await self._close(direction)
            await self._open(direction, reason="cannot be opened")

    def stats(self) -> dict[str, float]:
        out: dict[str, float] = {
            "captured_frames": self.frames.received,
            "capture_overruns": self.frames.overruns,
            "capture_queue_mean": self.frames.mean_depth,
            "recoveries": self.recoveries,
        }
        if self._processor is not None:
            out["processing_delay_hint_ms"] = self._processor.delay_ms
            out["processed_chunks"] = self._processor.captured_chunks
            out["echo_reference_chunks"] = self._processor.rendered_chunks
        for direction, stream in self._streams.items():
            if stream is None:
                continue
            out[f"{direction}_rate"] = stream.rate
            out[f"{direction}_channels"] = stream.channels
            out[f"{direction}_latency_ms"] = stream.latency * 1e3
            out[f"{direction}_default_latency_ms"] = stream.default_latency * 1e3
            out[f"{direction}_period_ms"] = stream.frames_per_buffer / stream.rate * 1e3
            out[f"{direction}_xruns"] = stream.device_xruns
            out[f"{direction}_errors"] = stream.errors
            out[f"{direction}_probes"] = stream.probes
            if isinstance(stream, Playback):
                out["output_callbacks"] = stream.callbacks
                ring = stream.ring.stats()
                out["playback_underruns"] = ring.underruns
                out["playback_overruns"] = ring.overruns
        return out

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for direction in BOTH:
            await self._close(direction)
        if self._system is not None:
            await self._call(self._system.close)
        self._worker.shutdown(wait=False)

    # -- internals -------------------------------------------------------

    def _sys(self) -> AudioSystem:
        if self._system is None:
            raise RuntimeError("engine not started")
        return self._system

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        """Run a PortAudio call on the engine's one worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, fn, *args)

    def _deliver(self, frames: Sequence[NDArray[np.int16]]) -> None:
        for frame in frames:
            self.frames.put(frame)
            for listener in self._listeners:
                listener(frame)

    def _make(self, direction: Direction, device: DeviceInfo) -> DeviceStream:
        system, s = self._sys(), self.settings
        stream: DeviceStream
        if direction == "input":
            assert self._loop is not None
            stream = Capture(
                system,
                device,
                self._loop,
                self._deliver,
                self.meter,
                s.rate,
                s.channels,
                self._current_processor,
            )
        else:
            stream = Playback(
                system, device, lambda: self._pull, s.rate, s.channels, self._echo_reference
            )
        stream.open(self._period(direction, stream.rate))
        return stream

    def _period(self, direction: Direction, rate: int) -> int | None:
        """Frames per device period for a stream opened now (None: the default)."""
        listening = self.settings.listening_period
        if direction == "output" and not self._want["input"] and listening is not None:
            return max(1, round(rate * listening))
        return self.settings.frames_per_buffer

    async def _repace_output(self) -> None:
        """Reopen the speakers when the microphone's coming or going changes
        their period (a short gap in the sound, once per change)."""
        out = self._streams["output"]
        if out is None:
            return
        if out.frames_per_buffer == (self._period("output", out.rate) or default_period(out.rate)):
            return
        await self._close("output")
        await self._open("output", reason="cannot be opened")

    def _open_best(self, direction: Direction) -> tuple[DeviceStream | None, list[str]]:
        """Open the preferred device, else the default, else any (worker thread)."""
        system = self._sys()
        devices = system.devices()
        wanted = self.prefs.get(direction)
        candidates: list[DeviceInfo] = []
        for pick in (
            find_device(devices, direction, wanted),
            choose_device(devices, direction, None, system.default_index(direction)),
            *[d for d in devices if d.channels(direction) > 0],
        ):
            if pick is not None and pick not in candidates:
                candidates.append(pick)
        failed: list[str] = []
        for device in candidates:
            try:
                return self._make(direction, device), failed
            except (OSError, ValueError) as exc:
                log.info("cannot open %s device %r: %r", direction, device.name, exc)
                failed.append(device.name)
        return None, failed

    async def _open(self, direction: Direction, reason: str, lost: str | None = None) -> None:
        if not self._want[direction]:
            return
        if direction == "input":
            self._prepare_processor()
        stream, _failed = await self._call(self._open_best, direction)
        self._streams[direction] = stream
        self._update_delay()
        wanted = lost or self.prefs.get(direction)
        using = stream.device.name if stream else None
        if stream is None:
            self._report(DeviceEvent(direction, wanted, None, reason))
        elif wanted is not None and using != wanted:
            self._report(DeviceEvent(direction, wanted, using, reason))

    async def _close(self, direction: Direction) -> None:
        stream, self._streams[direction] = self._streams[direction], None
        if stream is not None:
            await self._call(stream.close)

    def _report(self, event: DeviceEvent) -> None:
        log.warning("%s", event.message())
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.settings.check_interval)
            self._update_delay()
            for direction in BOTH:
                stream = self._streams[direction]
                if stream is None:
                    continue
                try:
                    ok = await self._call(stream.healthy, self.settings.stall)
                except Exception:  # never let a probe kill the watchdog
                    log.exception("device check failed")
                    ok = False
                async with self._devices_lock:
                    if not ok and self._streams[direction] is stream:
                        self.recoveries += 1
                        await self._close(direction)
                        await self._open(direction, "was disconnected", lost=stream.device.name)
