"""A listener's speakers run in long periods (few wake-ups a second); with the
microphone open they go back to the short period, and the sound carries on
through both changes (issue 18 point 11: the cost while listening)."""

import asyncio
from pathlib import Path

from app.audio.engine import AudioEngine, EngineSettings
from app.audio.virtual import VirtualPulse
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import ToneSource
from tests.support.pulse import Parec


async def until_called_back(engine: AudioEngine, n: int = 5, timeout: float = 10.0) -> None:
    """PortAudio calls back once per period (its callback mode's contract):
    the period sets the wake-ups a second; here, that the stream runs."""
    start = engine.stats()["output_callbacks"]
    for _ in range(int(timeout / 0.05)):
        if engine.stats().get("output_callbacks", 0) - start >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the speakers are not called back")


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
        await until_called_back(engine)
        await engine.set_capture(True)  # on stage: the talk's short periods
        assert engine.stats()["output_period_ms"] == 10.0
        assert engine.input_device is not None
        await until_called_back(engine)
        await engine.set_capture(False)  # back in the audience
        assert engine.stats()["output_period_ms"] == 40.0
        await until_called_back(engine)
        await asyncio.sleep(2.5)  # as long as a fresh stream gets elsewhere (test_devices_live)
    finally:
        heard = rec.stop()
        await engine.stop()
    # The tone plays on through both reopenings: in the last second, after
    # the second one, every 20 ms carries it.
    tail = heard[-48_000:]
    assert abs(peak_frequency(tail) - 1000) < 5
    frames = tail[: len(tail) // 960 * 960].reshape(-1, 960)
    levels = [rms_dbfs(f) for f in frames]
    assert min(levels) > -20, [i for i, level in enumerate(levels) if level <= -20]


async def test_the_period_can_stay_short_for_listeners(sound: VirtualPulse) -> None:
    engine = AudioEngine(capture=False, settings=EngineSettings(listening_period=None))
    await engine.start()
    try:
        assert engine.stats()["output_period_ms"] == 10.0
    finally:
        await engine.stop()
