"""The settings screen's mic test on real devices: hear yourself, see the level."""

import asyncio
from pathlib import Path

from app.audio.meter import FLOOR_DBFS
from app.audio.mictest import MicTest
from app.audio.virtual import VirtualPulse
from tests.support.pulse import Parec, play
from tests.voice.helpers import windowed_similarity

from .helpers import espeak


async def test_hear_yourself_and_see_the_level(sound: VirtualPulse, tmp_path: Path) -> None:
    spoken = espeak(tmp_path / "a.wav", "Testing, testing: one two three. Can you hear me?")
    unrelated = espeak(tmp_path / "b.wav", "Nine purple elephants quietly ate seven oranges.")
    test = MicTest(hear_yourself=True)
    rec = Parec(tmp_path / "spk.raw")
    levels: list[float] = []
    try:
        await test.start()
        await rec.ready()
        await asyncio.sleep(1.0)
        quiet = test.meter.rms_dbfs
        player = play(tmp_path / "a.wav")
        while player.poll() is None:
            levels.append(test.meter.rms_dbfs)
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        after = test.meter.rms_dbfs
    finally:
        heard = rec.stop()
        await test.stop()
    similar = windowed_similarity(spoken, heard)
    control = windowed_similarity(unrelated, heard)
    print(f"mic test: similarity {similar:.2f} (control {control:.2f}), max {max(levels):.1f} dBFS")
    assert similar >= 0.5 and control < 0.35
    assert quiet <= FLOOR_DBFS + 1 and max(levels) > -30 and after < -50


async def test_level_only_plays_nothing(sound: VirtualPulse, tmp_path: Path) -> None:
    espeak(tmp_path / "a.wav", "Only the meter moves.")
    test = MicTest(hear_yourself=False)
    levels: list[float] = []
    try:
        await test.start()
        assert test.engine.output_device is None
        await asyncio.sleep(1.0)
        player = play(tmp_path / "a.wav")
        while player.poll() is None:
            levels.append(test.meter.level)
            await asyncio.sleep(0.05)
    finally:
        await test.stop()
    assert max(levels) > 0.4
