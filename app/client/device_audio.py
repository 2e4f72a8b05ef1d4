"""The sound-device `AudioBackend`: app/audio's AudioEngine behind the seam
the desktop session uses.

The engine starts with the app and outlives rooms: the microphone (open
only while on the stage or in the settings' mic test) sends its frames to
the VoiceLink (`frames`, paced by the device clock), the speakers play
the room while one is joined (`start`/`stop` only swap what is pulled), plus
the push-to-talk cues and, during the settings' mic test, your own voice.
Device changes (lost, replaced, none at all) become sentences for the
window (`listeners`; the ones from before the window existed in `messages`).
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from app.audio.engine import AudioEngine, DeviceEvent, EngineSettings
from app.audio.meter import LevelMeter
from app.audio.prefs import DeviceInfo, DevicePreferences, Direction
from app.audio.processing import OFF, ProcessingSettings
from app.audio.ring import SampleRing
from app.client.audio_backend import FRAME, Frame
from app.client.cues import cue_tone
from app.client.pulse_devices import PulseDevice, is_pulse_choice, list_pulse_devices, route

if TYPE_CHECKING:
    from app.client.app_settings import Settings
    from app.client.desktop_session import DesktopSession
    from app.media.client.channel import FrameChannel

log = logging.getLogger(__name__)


# How long quitting waits for a device change under way (opening a device
# on a busy machine takes a second or two).
_CLOSE_WAIT_S = 5.0


class DeviceAudio:
    def __init__(
        self,
        prefs: DevicePreferences | None = None,
        *,
        volume: int = 100,
        cues: bool = True,
        settings: EngineSettings | None = None,
        processing: ProcessingSettings | None = None,
    ) -> None:
        # The microphone opens only while someone needs it (`want_capture`):
        # on the stage, or the settings' level meter and mic test. Its voice
        # processing is on unless switched off (`set_processing`); the mic
        # test hears the processed voice, as the room does.
        self.engine = AudioEngine(
            prefs,
            on_event=self._device_event,
            settings=settings,
            capture=False,
            processing=processing if processing is not None else ProcessingSettings(),
        )
        self._capture_wanted: set[str] = set()
        # The "pulse:" choice each direction's streams are routed to (None: none).
        self._routed: dict[Direction, str | None] = {}
        self._capture_lock = asyncio.Lock()
        self._closed = False
        self.playback_muted = False
        self.volume = volume / 100
        self.cues_enabled = cues
        self.messages: list[str] = []
        self.listeners: list[Callable[[str], None]] = []
        self._room: Callable[[], Frame] | None = None
        self._lock = threading.Lock()
        self._cue = np.zeros(0, dtype=np.int16)
        self._monitor: SampleRing | None = None
        self.engine.play(self.next_frame)
        self.engine.add_listener(self._heard)

    # -- the AudioBackend seam -------------------------------------------------------

    @property
    def frames(self) -> "FrameChannel":
        return self.engine.frames

    def capture(self) -> Frame:
        return np.zeros(FRAME, dtype=np.int16)  # unused: the link takes `frames`

    async def start(self, playback: Callable[[], Frame]) -> None:
        self.engine.frames.clear()  # send what is said now, not a backlog
        self._room = playback

    async def stop(self) -> None:
        self._room = None

    # -- the app's ---------------------------------------------------------------------

    async def open(self) -> bool:
        """Start the devices; False when neither a microphone nor speakers opened."""
        try:
            await self.engine.start()
            if self.engine.output_device is not None:
                return True
            # No speakers: is there at least a microphone to talk with?
            await self.engine.set_capture(True)
            found = self.engine.input_device is not None
            await self.engine.set_capture(bool(self._capture_wanted))
        except Exception as exc:  # no PortAudio at all
            log.warning("sound devices unavailable: %r", exc)
            return False
        return found

    async def want_capture(self, why: str, on: bool) -> None:
        """Keep the microphone open while any reason ("stage", "settings") wants it."""
        async with self._capture_lock:  # the last wish wins, in order
            if self._closed:
                return  # quitting: a dialog closing late wants nothing opened
            if on:
                self._capture_wanted.add(why)
            else:
                self._capture_wanted.discard(why)
            wanted = bool(self._capture_wanted)
            if wanted != self.engine.capturing:
                await self.engine.set_capture(wanted)

    async def close(self) -> None:
        self._room = None
        self._closed = True
        locked = False
        try:
            # After a device change under way (the settings dialog closing as
            # the app quits), not beside it: the devices would close under it.
            async with asyncio.timeout(_CLOSE_WAIT_S):
                locked = await self._capture_lock.acquire()
        except TimeoutError:
            log.warning("closing the sound devices while a change still runs")
        try:
            await self.engine.stop()
        except Exception as exc:
            log.warning("closing the sound devices: %r", exc)
        finally:
            if locked:
                self._capture_lock.release()

    @property
    def meter(self) -> LevelMeter:
        return self.engine.meter

    async def devices(self) -> list[DeviceInfo]:
        return await self.engine.devices()

    def note_routes(self, input_choice: str | None, output_choice: str | None) -> None:
        """The choices the preferences were routed from at start (desktop_main)."""
        for direction, choice in (("input", input_choice), ("output", output_choice)):
            self._routed[direction] = choice if is_pulse_choice(choice) else None  # type: ignore[index]

    async def pulse_devices(self, direction: Direction) -> list[PulseDevice]:
        """The sound server's own microphones or speakers, by name (pulse_devices.py)."""
        return await asyncio.to_thread(list_pulse_devices, direction)

    def device_name(self, direction: Direction) -> str | None:
        device = self.engine.input_device if direction == "input" else self.engine.output_device
        return device.name if device else None

    async def select(self, direction: Direction, name: str | None) -> None:
        """Use this device (None: the system default), remembered by name; a
        "pulse:" name is one of the sound server's own devices."""
        routed = self._routed.get(direction)
        device = route(direction, name)
        same_route = routed == (name if is_pulse_choice(name) else None)
        if (
            same_route
            and device == self.engine.prefs.get(direction)
            and self.device_name(direction) is not None
        ):
            return
        self._routed[direction] = name if is_pulse_choice(name) else None
        await self.engine.select(direction, device)

    def set_processing(self, processing: ProcessingSettings) -> None:
        """Echo cancellation, noise suppression and gain control, each on or off."""
        self.engine.set_processing(processing)

    @property
    def processing(self) -> ProcessingSettings:
        return self.engine.processing or OFF

    def set_volume(self, percent: int) -> None:
        self.volume = max(0, percent) / 100

    def play_cue(self, kind: str) -> None:
        if not self.cues_enabled:
            return
        tone = cue_tone(kind)
        with self._lock:
            self._cue = tone  # a new cue replaces one still playing

    def set_monitor(self, on: bool) -> None:
        """Hear yourself (the mic test): the microphone mixed into the speakers."""
        self._monitor = SampleRing(FRAME * 10, target=FRAME * 3) if on else None

    @property
    def monitoring(self) -> bool:
        return self._monitor is not None

    # -- device threads ------------------------------------------------------------------

    def _heard(self, frame: Frame) -> None:
        monitor = self._monitor
        if monitor is not None:
            monitor.write(frame)

    def next_frame(self) -> Frame:
        """The speakers' next 20 ms (10 ms when the room's playout moves its
        phase; PortAudio's thread): room, own voice, cue."""
        room = self._room
        frame = room() if room is not None else None  # pulled even when muted: drains in time
        n = len(frame) if frame is not None and 0 < len(frame) <= FRAME else FRAME
        mix = np.zeros(n, dtype=np.float32)
        if frame is not None and len(frame) >= n and not self.playback_muted:
            mix += frame[:n]
        monitor = self._monitor
        if monitor is not None:
            mix += monitor.read(n)
        with self._lock:
            cue, self._cue = self._cue[:n], self._cue[n:]
        mix[: len(cue)] += cue
        mix *= self.volume
        return np.clip(mix, -32768, 32767).astype(np.int16)

    def _device_event(self, event: DeviceEvent) -> None:
        self._say(event.message() + ".")

    def _say(self, text: str) -> None:
        self.messages.append(text)
        for listener in list(self.listeners):
            listener(text)


def processing_of(settings: "Settings") -> ProcessingSettings:
    return ProcessingSettings(
        echo_cancellation=settings.echo_cancellation,
        noise_suppression=settings.noise_suppression,
        auto_gain=settings.auto_gain,
    )


class MicFollower:
    """Opens the microphone while the session's member is on the stage."""

    def __init__(self, session: "DesktopSession", audio: DeviceAudio) -> None:
        self._session = session
        self._audio = audio
        self._on = False
        self._tasks: set[asyncio.Task[None]] = set()
        session.listeners.append(self._changed)
        self._changed(None, None)

    def _changed(self, _change: object, _notice: object) -> None:
        on = self._session.on_stage
        if on == self._on:
            return
        self._on = on
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # shutting down
        task = loop.create_task(self._audio.want_capture("stage", on))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait for the microphone to follow (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        if self._changed in self._session.listeners:
            self._session.listeners.remove(self._changed)
