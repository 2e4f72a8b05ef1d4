"""ALSA's plugins are let go once PortAudio has listed the devices (app.audio.
alsa_config), and sound still plays through PulseAudio afterwards."""

import asyncio
from pathlib import Path

import pyaudio

from app.audio.alsa_config import release_alsa_config
from app.audio.devices import AudioSystem
from app.audio.engine import AudioEngine, EngineSettings
from app.audio.virtual import VirtualPulse
from app.dsp.analysis import peak_frequency, rms_dbfs
from app.dsp.signals import ToneSource
from tests.support.pulse import Parec

PLUGIN = "/alsa-lib/libasound_module_"


def mapped_plugins() -> set[str]:
    with open("/proc/self/maps") as maps:
        return {line.split()[-1].rsplit("/", 1)[-1] for line in maps if PLUGIN in line}


def listed_then_released() -> tuple[set[str], set[str], list[str]]:
    pa = pyaudio.PyAudio()
    try:
        listed = mapped_plugins()
        assert release_alsa_config()
        released = mapped_plugins()
        names = [str(pa.get_device_info_by_index(i)["name"]) for i in range(pa.get_device_count())]
    finally:
        pa.terminate()
    return listed, released, names


async def test_listing_loads_plugins_and_releasing_unloads_them(sound: VirtualPulse) -> None:
    listed, released, names = await asyncio.to_thread(listed_then_released)
    # The virtual devices are ALSA PCMs of the pulse plugin: listing loaded it (and
    # whatever else is installed); released, none stays, and the list is PortAudio's.
    assert "libasound_module_pcm_pulse.so" in listed, listed
    assert released == set(), released
    assert {"default", "pulse", "headset", "headphones"} <= set(names)


async def test_sound_plays_after_the_release(sound: VirtualPulse, tmp_path: Path) -> None:
    system = await asyncio.to_thread(AudioSystem)  # lists, then releases
    try:
        assert mapped_plugins() == set()
        assert {"default", "headphones"} <= {d.name for d in system.devices()}
    finally:
        await asyncio.to_thread(system.close)
    source = ToneSource(1000)
    engine = AudioEngine(settings=EngineSettings(), capture=False)
    engine.play(source.next_frame)
    await engine.start()
    rec = Parec(tmp_path / "spk.raw")
    try:
        await asyncio.sleep(2.0)
        playing = mapped_plugins()
    finally:
        heard = rec.stop()
        await engine.stop()
    # The open stream loaded what its device needs, and only that.
    assert playing == {"libasound_module_pcm_pulse.so"}, playing
    tail = heard[-24_000:]
    assert abs(peak_frequency(tail) - 1000) < 5
    assert rms_dbfs(tail) > -15
