"""Real capture and playback through PortAudio and PulseAudio's virtual devices."""

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.audio.devices import list_devices
from app.audio.engine import AudioEngine, EngineSettings
from app.audio.virtual import VirtualPulse
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import ToneSource, to_int16, tone
from app.media.wavfile import write_wav
from tests.support.pulse import Parec, play

FORMATS = [pytest.param(48_000, 1, id="48k-mono"), pytest.param(44_100, 2, id="44k1-stereo")]


async def captured(engine: AudioEngine, seconds: float) -> NDArray[np.int16]:
    got: list[NDArray[np.int16]] = []
    stop = engine.add_listener(got.append)
    await asyncio.sleep(seconds)
    stop()
    return np.concatenate(got) if got else np.zeros(0, dtype=np.int16)


async def until_captured(engine: AudioEngine, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while engine.frames.received < 10:
        assert time.monotonic() < deadline, "no audio captured"
        await asyncio.sleep(0.05)


async def test_the_virtual_devices_are_listed(sound: VirtualPulse) -> None:
    names = [d.name for d in await asyncio.to_thread(list_devices)]
    assert {"default", "pulse", "headset", "headphones"} <= set(names)


@pytest.mark.parametrize(("rate", "channels"), FORMATS)
async def test_capture_hears_the_microphone(
    sound: VirtualPulse, tmp_path: Path, rate: int, channels: int
) -> None:
    wav = tmp_path / "tone.wav"
    write_wav(wav, to_int16(tone(440, 48_000 * 4, amplitude=0.3)))
    engine = AudioEngine(settings=EngineSettings(rate=rate, channels=channels), playback=False)
    await engine.start()
    try:
        assert engine.input_device is not None
        await until_captured(engine)
        quiet = await captured(engine, 0.5)
        player = play(wav)
        await asyncio.sleep(1.0)
        heard = await captured(engine, 1.5)
        level = engine.meter.rms_dbfs
        await asyncio.to_thread(player.wait, 20)
        stats = engine.stats()
    finally:
        await engine.stop()
    assert (stats["input_rate"], stats["input_channels"]) == (rate, channels)
    assert rms_dbfs(quiet) < -60
    assert abs(peak_frequency(heard) - 440) < 3, peak_frequency(heard)
    assert -20 < rms_dbfs(heard) < -5 and level > -20


@pytest.mark.parametrize(("rate", "channels"), FORMATS)
async def test_playback_reaches_the_speakers(
    sound: VirtualPulse, tmp_path: Path, rate: int, channels: int
) -> None:
    source = ToneSource(1000)
    engine = AudioEngine(settings=EngineSettings(rate=rate, channels=channels), capture=False)
    engine.play(source.next_frame)
    await engine.start()
    rec = Parec(tmp_path / "spk.raw")
    try:
        await asyncio.sleep(2.5)
    finally:
        heard = rec.stop()
        stats = engine.stats()
        await engine.stop()
    assert (stats["output_rate"], stats["output_channels"]) == (rate, channels)
    tail = heard[-48_000:]
    assert abs(peak_frequency(tail) - 1000) < 5
    assert rms_dbfs(tail) > -15
    # Continuous: no 20 ms stretch of silence in the last second.
    frames = tail[: len(tail) // 960 * 960].reshape(-1, 960)
    assert min(rms_dbfs(f) for f in frames) > -20
