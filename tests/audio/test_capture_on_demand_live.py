"""A listener's microphone stays closed until it is wanted (on stage, push-to-talk)."""

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.audio.engine import AudioEngine
from app.audio.prefs import DevicePreferences
from app.audio.processing import ProcessingSettings
from app.audio.virtual import VirtualPulse
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import to_int16, tone
from app.media.wavfile import write_wav
from tests.audio.test_devices_live import captured, until_captured
from tests.support.pulse import play


def recording_streams(pulse: VirtualPulse) -> int:
    """Capture streams clients have open (what a "microphone in use" indicator
    shows); the virtual microphone's own stream on its master has no client."""
    lines = pulse.pactl("list", "short", "source-outputs").stdout.splitlines()
    return sum(1 for line in lines if line.split("\t")[2] != "-")


async def until_streams(pulse: VirtualPulse, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (have := await asyncio.to_thread(recording_streams, pulse)) != n:
        assert time.monotonic() < deadline, f"{have} capture streams open, expected {n}"
        await asyncio.sleep(0.1)


async def test_the_microphone_opens_on_demand_and_closes_again(
    sound: VirtualPulse, tmp_path: Path
) -> None:
    wav = tmp_path / "tone.wav"
    write_wav(wav, to_int16(tone(440, 48_000 * 8, amplitude=0.3)))
    engine = AudioEngine(capture=False)
    player = play(wav)
    await engine.start()
    try:
        # In the audience: speakers only, no capture stream at all.
        assert engine.output_device is not None and engine.input_device is None
        assert not engine.capturing and "input_rate" not in engine.stats()
        await asyncio.sleep(0.5)
        assert engine.frames.received == 0
        await until_streams(sound, 0)

        await engine.set_capture(True)  # on stage
        assert engine.input_device is not None and engine.capturing
        await until_captured(engine)
        heard = await captured(engine, 1.0)
        await until_streams(sound, 1)
        assert abs(peak_frequency(heard) - 440) < 3, peak_frequency(heard)
        assert -20 < rms_dbfs(heard) < -5 and engine.meter.rms_dbfs > -20

        await engine.set_capture(False)  # back in the audience
        assert engine.input_device is None and len(engine.frames) == 0
        assert engine.meter.rms_dbfs == engine.meter.peak_dbfs == -60.0
        received = engine.frames.received
        await asyncio.sleep(0.5)
        assert engine.frames.received == received
        await until_streams(sound, 0)
    finally:
        player.kill()
        player.wait()
        await engine.stop()


async def test_a_remembered_microphone_that_is_gone_falls_back_when_opened(
    sound: VirtualPulse, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = AudioEngine(DevicePreferences(input="headset"), capture=False, playback=False)
    await engine.start()
    try:
        assert engine.events == []  # nothing to say while the microphone is not wanted
        await engine.set_capture(True)
        assert engine.input_device is not None and engine.input_device.name in ("default", "pulse")
        assert [(e.direction, e.lost) for e in engine.events] == [("input", "headset")]
        await engine.set_capture(False)
        # No microphone at all: an event, and nothing breaks.
        monkeypatch.setenv("PULSE_SOURCE", "no-such-microphone")
        engine.prefs.set("input", None)
        await engine.set_capture(True)
        assert engine.input_device is None and engine.capturing
        assert engine.events[-1].direction == "input" and engine.events[-1].using is None
        assert np.isfinite(engine.meter.rms_dbfs)
    finally:
        await engine.stop()


async def test_the_echo_canceller_hears_the_speakers_only_while_the_microphone_is_open(
    sound: VirtualPulse, tmp_path: Path
) -> None:
    engine = AudioEngine(capture=False, processing=ProcessingSettings())
    pulled = [0]
    frame = to_int16(tone(440, 960, amplitude=0.3))

    def room() -> NDArray[np.int16]:
        pulled[0] += 1
        return frame

    engine.play(room)
    await engine.start()
    try:
        deadline = time.monotonic() + 10
        while pulled[0] < 25:  # the speakers play the room (0.5 s of it); nobody speaks
            assert time.monotonic() < deadline, "the speakers never played"
            await asyncio.sleep(0.05)
        assert engine.processor is None  # a listener has no echo canceller at all

        await engine.set_capture(True)  # on stage: the reference is needed now
        await until_captured(engine)
        processor = engine.processor
        assert processor is not None
        deadline = time.monotonic() + 10
        while processor.rendered_chunks < 10:
            assert time.monotonic() < deadline, "the canceller never heard the speakers"
            await asyncio.sleep(0.05)

        await engine.set_capture(False)
        rendered = processor.rendered_chunks
        await asyncio.sleep(0.5)
        assert processor.rendered_chunks == rendered
    finally:
        await engine.stop()
