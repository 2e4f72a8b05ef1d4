"""A listener's speakers run in long periods (few wake-ups a second); with the
microphone open they go back to the short period, and the sound carries on
through both changes (issue 18 point 11: the cost while listening)."""

import asyncio
from pathlib import Path

from app.audio.engine import AudioEngine, EngineSettings
from app.audio.playback import Playback
from app.audio.virtual import VirtualPulse
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import ToneSource
from tests.support.pulse import Parec


async def callbacks_per_second(engine: AudioEngine, seconds: float = 1.0) -> float:
    stream = engine._streams["output"]
    assert isinstance(stream, Playback)
    before = stream.callbacks
    await asyncio.sleep(seconds)
    return (stream.callbacks - before) / seconds


async def test_listening_periods_are_long_and_short_again_with_a_microphone(
    sound: VirtualPulse, tmp_path: Path
) -> None:
    source = ToneSource(1000)
    engine = AudioEngine(capture=False)
    engine.play(source.next_frame)
    await engine.start()
    rec = Parec(tmp_path / "spk.raw")
    try:
        await asyncio.sleep(1.0)
        assert engine.stats()["output_period_ms"] == 40.0
        listening = await callbacks_per_second(engine)
        await engine.set_capture(True)  # on stage: the talk's short periods
        assert engine.stats()["output_period_ms"] == 10.0
        assert engine.input_device is not None
        await asyncio.sleep(0.5)
        talking = await callbacks_per_second(engine)
        await engine.set_capture(False)  # back in the audience
        assert engine.stats()["output_period_ms"] == 40.0
        await asyncio.sleep(1.5)
    finally:
        heard = rec.stop()
        await engine.stop()
    # 25 and 100 a second, give or take a loaded machine's scheduling.
    assert 15 <= listening <= 35, listening
    assert 70 <= talking <= 130, talking
    # The tone plays on through both reopenings: in the last second, after
    # the second one, every 20 ms carries it.
    tail = heard[-48_000:]
    assert abs(peak_frequency(tail) - 1000) < 5
    frames = tail[: len(tail) // 960 * 960].reshape(-1, 960)
    assert min(rms_dbfs(f) for f in frames) > -20


async def test_the_period_can_stay_short_for_listeners(sound: VirtualPulse) -> None:
    engine = AudioEngine(capture=False, settings=EngineSettings(listening_period=None))
    await engine.start()
    try:
        assert engine.stats()["output_period_ms"] == 10.0
    finally:
        await engine.stop()
