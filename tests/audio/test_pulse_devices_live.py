"""Settings' devices by the sound server's names, and the streams going to
the chosen one (issue 18, point 9), on the private PulseAudio with two
speakers (null sinks) and two microphones."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.audio.prefs import DevicePreferences
from app.audio.processing import OFF
from app.audio.virtual import VirtualPulse
from app.client.device_audio import DeviceAudio
from app.client.pulse_devices import list_pulse_devices, route
from app.dsp.analysis import rms_dbfs
from app.dsp.signals import ToneSource
from tests.support.pulse import play
from tests.voice.helpers import hears

from .test_device_change_live import heard_on, tone_file, until, until_heard


def tone_frames(freq: float) -> Callable[[], NDArray[np.int16]]:
    return ToneSource(freq).next_frame


async def captured(audio: DeviceAudio, seconds: float) -> NDArray[np.int16]:
    got: list[NDArray[np.int16]] = []
    stop = audio.engine.add_listener(got.append)
    await asyncio.sleep(seconds)
    stop()
    return np.concatenate(got) if got else np.zeros(0, dtype=np.int16)


async def test_named_speakers_and_microphones_are_listed_and_used(
    sound: VirtualPulse, tmp_path: Path
) -> None:
    desk = sound.load(
        "module-null-sink", "sink_name=deskspk", "sink_properties=device.description=DeskSpeakers"
    )
    mic = sound.load(
        "module-remap-source",
        "source_name=deskmic",
        "master=hsfeed.monitor",
        "source_properties=device.description=DeskMicrophone",
    )
    audio: DeviceAudio | None = None
    players = []
    try:
        outputs = {d.name: d.description for d in list_pulse_devices("output")}
        inputs = {d.name: d.description for d in list_pulse_devices("input")}
        assert outputs["deskspk"] == "DeskSpeakers" and "spk" in outputs
        assert inputs["deskmic"] == "DeskMicrophone" and "vmic" in inputs
        assert not any(name.endswith(".monitor") for name in inputs)  # not microphones

        # Chosen by name: the room plays on the desk speakers only.
        prefs = DevicePreferences(route("input", "pulse:deskmic"), route("output", "pulse:deskspk"))
        # Voice processing off: a steady tone is what noise suppression removes.
        audio = DeviceAudio(prefs, cues=False, processing=OFF)
        audio.note_routes("pulse:deskmic", "pulse:deskspk")
        assert await audio.open()
        await audio.start(tone_frames(440))
        await until_heard("deskspk", tmp_path, 440)
        assert rms_dbfs(await heard_on("spk", tmp_path / "spk.raw")) < -50

        # Back to the system default (spk), then to the desk again.
        await audio.select("output", None)
        await until_heard("spk", tmp_path, 440)
        assert rms_dbfs(await heard_on("deskspk", tmp_path / "desk.raw")) < -50
        await audio.select("output", "pulse:deskspk")
        await until_heard("deskspk", tmp_path, 440)

        # The microphone chosen by name hears its own feed, not the default's.
        players.append(play(tone_file(tmp_path / "660.wav", 660), "hsfeed"))
        players.append(play(tone_file(tmp_path / "880.wav", 880), "micfeed"))
        await audio.want_capture("test", True)
        await until(lambda: audio is not None and audio.engine.frames.received > 50, "capture")
        heard = await captured(audio, 1.5)
        assert hears(heard, 660) and not hears(heard, 880)
        before = audio.engine.frames.received
        await audio.select("input", "pulse:vmic")
        # The stream reopens on the other source: wait for it to deliver again.
        await until(
            lambda: audio is not None and audio.engine.frames.received > before + 50, "recapture"
        )
        heard = await captured(audio, 1.5)
        assert hears(heard, 880) and not hears(heard, 660)
    finally:
        for player in players:
            player.kill()
            player.wait()
        if audio is not None:
            await audio.close()
        route("input", None)
        route("output", None)
        sound.unload(mic)
        sound.unload(desk)
